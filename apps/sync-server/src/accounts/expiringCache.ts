/**
 * Answers kept for `ttlMs`, and only that long: an entry that has expired is dropped, not merely
 * ignored, so the cache holds the answers of the last `ttlMs` and no more (at most `max`; beyond
 * that the oldest goes). The map is kept in the order the entries were stored, which is the order
 * they expire in, so dropping the expired ones looks only at the front: each entry is dropped once.
 * Every use drops what has expired, and so does a timer while the cache holds anything, set for
 * when the oldest entry expires (at most every tenth of `ttlMs`): an idle server keeps nothing
 * either. An empty cache has no timer.
 */
export class ExpiringCache<V> {
  private readonly entries = new Map<string, { value: V; at: number }>();
  private sweep: NodeJS.Timeout | undefined;

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
    private readonly now: () => number,
  ) {}

  /** The value stored for `key` less than `ttlMs` ago. */
  get(key: string): { value: V } | undefined {
    this.dropExpired();
    const hit = this.entries.get(key);
    // Checked on its own too: should the clock step back, an older entry can sit behind newer ones.
    return hit && hit.at > this.now() - this.ttlMs ? { value: hit.value } : undefined;
  }

  set(key: string, value: V): void {
    this.dropExpired();
    // Delete first: a key stored again moves to the back, where the newest entries are.
    this.entries.delete(key);
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, at: this.now() });
    if (!this.sweep) this.scheduleSweep();
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  close(): void {
    clearTimeout(this.sweep);
    this.sweep = undefined;
    this.entries.clear();
  }

  private scheduleSweep(): void {
    const oldest = this.entries.values().next().value;
    if (!oldest) return;
    const wait = Math.max(oldest.at + this.ttlMs - this.now(), this.ttlMs / 10);
    this.sweep = setTimeout(() => {
      this.sweep = undefined;
      this.dropExpired();
      this.scheduleSweep();
    }, wait).unref();
  }

  private dropExpired(): void {
    const cutoff = this.now() - this.ttlMs;
    for (const [key, entry] of this.entries) {
      if (entry.at > cutoff) return;
      this.entries.delete(key);
    }
  }
}
