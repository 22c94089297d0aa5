/**
 * Which sequence numbers of a document's log a loaded copy contains: every one up to `through`,
 * plus those in `above` (entries from other instances can arrive out of order). `through` is the
 * document's version: a copy never claims a version whose entries it lacks (SPEC SO5).
 */
export class SeqTracker {
  readonly above = new Set<number>();

  constructor(public through: number) {}

  /** Record `seq`; false if it was already contained. */
  add(seq: number): boolean {
    if (seq <= this.through || this.above.has(seq)) return false;
    this.above.add(seq);
    while (this.above.delete(this.through + 1)) this.through += 1;
    return true;
  }

  has(seq: number): boolean {
    return seq <= this.through || this.above.has(seq);
  }

  /** Entries above `through` are held while one below them is missing. */
  get hasGap(): boolean {
    return this.above.size > 0;
  }

  /** The highest sequence number contained. */
  get highest(): number {
    let max = this.through;
    for (const s of this.above) if (s > max) max = s;
    return max;
  }
}
