/**
 * When a document's log gets a new snapshot (SPEC SNAP1).
 *
 * Writing a snapshot rebuilds the document from its log and encodes it whole, so it costs in
 * proportion to the document. Taken every `SNAPSHOT_EVERY` entries, that cost spread over the
 * entries grew with the document: for the ~800 KB product of the cold-load benchmark, rebuilding
 * and encoding alone took 60–130 ms (in process), every 1,000 one-field edits — about a tenth of
 * the server's CPU with 50 writers at 100 edits/s. A snapshot is due once there are at least
 * `every` entries since the last one and they add up to at least a quarter of its size: then each
 * byte written pays the same share whatever the document's size, and a load applies at most about
 * a quarter of the snapshot in entries (or `every` entries).
 */

/** Log entries, counted and measured. */
export interface LogAmount {
  readonly entries: number;
  readonly bytes: number;
}

/** The entries since a snapshot must add up to 1/TAIL_SHARE of its size before the next one. */
export const TAIL_SHARE = 4;

/**
 * A loaded document's log since its last snapshot. It counts what is committed here; a snapshot
 * being written covers what was counted when it started (`mark`), so what is committed while it
 * is written counts towards the next one. A snapshot older than the newest one taken changes
 * nothing (the one saved after a load may finish after a later compaction).
 */
export class SnapshotProgress {
  /** Everything counted since load, the tail found at load included. */
  private total: LogAmount;
  /** `total` when the newest snapshot was started. */
  private covered: LogAmount = { entries: 0, bytes: 0 };

  constructor(
    tail: LogAmount,
    private seq: number,
    private bytes: number,
  ) {
    this.total = tail;
  }

  /** Entries just committed here (called on every commit: nothing is allocated but the total). */
  committed(entries: readonly { readonly update: Uint8Array }[]): void {
    let bytes = this.total.bytes;
    for (const e of entries) bytes += e.update.byteLength;
    this.total = { entries: this.total.entries + entries.length, bytes };
  }

  since(): LogAmount {
    return {
      entries: this.total.entries - this.covered.entries,
      bytes: this.total.bytes - this.covered.bytes,
    };
  }

  due(every: number): boolean {
    const { entries, bytes } = this.since();
    return entries >= every && bytes * TAIL_SHARE >= this.bytes;
  }

  /** What a snapshot started now covers. */
  mark(): LogAmount {
    return this.total;
  }

  /** A snapshot of the log at `seq`, `bytes` long, was saved; it covers `mark`. */
  taken(mark: LogAmount, seq: number, bytes: number): void {
    if (seq <= this.seq) return;
    this.covered = mark;
    this.seq = seq;
    this.bytes = bytes;
  }
}
