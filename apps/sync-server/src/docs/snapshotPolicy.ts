/**
 * When a document's log gets a new snapshot (SPEC SNAP1).
 *
 * Writing a snapshot rebuilds the document from its log and encodes it whole, so it costs in
 * proportion to the document. Taken every `SNAPSHOT_EVERY` entries, that cost spread over the
 * entries grew with the document: on the 867 KB product of the cold-load benchmark a snapshot every
 * 1,000 one-field edits took ~0.15 s, a tenth of the CPU of 50 writers at 100 edits/s. A snapshot
 * is due once there are at least `every` entries since the last one and they add up to at least a
 * quarter of its size: then each byte written pays the same share whatever the document's size,
 * and a load applies at most about a quarter of the snapshot in entries (or `every` entries).
 */

/** What the log holds after the last snapshot. */
export interface SinceSnapshot {
  entries: number;
  bytes: number;
}

/** The entries since a snapshot must add up to 1/TAIL_SHARE of its size before the next one. */
export const TAIL_SHARE = 4;

export function snapshotDue(since: SinceSnapshot, snapshotBytes: number, every: number): boolean {
  return since.entries >= every && since.bytes * TAIL_SHARE >= snapshotBytes;
}
