/**
 * Which sequence numbers of a document's log a loaded copy contains: every one up to `through`,
 * plus those in `above` (entries from other instances can arrive out of order). `through` is the
 * document's version: a copy never claims a version whose entries it lacks (SPEC SO5).
 */
export class SeqTracker {
  /** Created on the first gap: most copies never see one, and copies are many. */
  private above: Set<number> | undefined;

  constructor(public through: number) {}

  /** Record `seq`; false if it was already contained. */
  add(seq: number): boolean {
    if (this.has(seq)) return false;
    if (seq === this.through + 1 && !this.above) {
      this.through = seq;
      return true;
    }
    const above = (this.above ??= new Set());
    above.add(seq);
    while (above.delete(this.through + 1)) this.through += 1;
    if (above.size === 0) this.above = undefined;
    return true;
  }

  has(seq: number): boolean {
    return seq <= this.through || (this.above?.has(seq) ?? false);
  }

  /** Entries above `through` are held while one below them is missing. */
  get hasGap(): boolean {
    return this.above !== undefined;
  }

  /** The highest sequence number contained. */
  get highest(): number {
    let max = this.through;
    for (const s of this.above ?? []) if (s > max) max = s;
    return max;
  }
}
