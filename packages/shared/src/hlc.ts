/**
 * Hybrid logical clock (HLC). A timestamp is (wallMs, counter, replicaId); timestamps are totally
 * ordered by wallMs, then counter, then replicaId. `now()` never goes backwards and `receive()` merges
 * a remote stamp so that every later local stamp is greater than everything seen (SPEC: HLC1–HLC5).
 * Every part is bounded (HLC5), so no stamp a peer sends can push a clock out of range.
 */

export interface Hlc {
  readonly wallMs: number;
  readonly counter: number;
  readonly replicaId: string;
}

/** Total order on timestamps: negative when a < b, 0 when equal, positive when a > b. (HLC1) */
export function compareHlc(a: Hlc, b: Hlc): number {
  if (a.wallMs !== b.wallMs) return a.wallMs < b.wallMs ? -1 : 1;
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  if (a.replicaId === b.replicaId) return 0;
  return a.replicaId < b.replicaId ? -1 : 1;
}

/** Largest counter a stamp may carry (HLC5): far above any real rate, far below unsafe integers. */
export const MAX_HLC_COUNTER = 2 ** 31 - 1;
/** Largest wall time a stamp may carry (HLC5): the year 6429; the skew bound is far tighter. */
export const MAX_HLC_WALL_MS = 2 ** 47;
/** Longest replica id (HLC5). */
export const MAX_REPLICA_ID_LENGTH = 64;

/** A well-formed stamp whose every part is within its bound (HLC5). */
export function isHlc(value: unknown): value is Hlc {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.wallMs === 'number' &&
    Number.isSafeInteger(v.wallMs) &&
    v.wallMs >= 0 &&
    v.wallMs <= MAX_HLC_WALL_MS &&
    typeof v.counter === 'number' &&
    Number.isSafeInteger(v.counter) &&
    v.counter >= 0 &&
    v.counter <= MAX_HLC_COUNTER &&
    typeof v.replicaId === 'string' &&
    v.replicaId.length > 0 &&
    v.replicaId.length <= MAX_REPLICA_ID_LENGTH
  );
}

/** Compact, sortable text form: 13-digit wall time, 6-digit counter, replica id. */
export function formatHlc(t: Hlc): string {
  return `${String(t.wallMs).padStart(13, '0')}-${String(t.counter).padStart(6, '0')}-${t.replicaId}`;
}

/** A remote stamp lies further in the future than the configured bound allows (HLC3). */
export class HlcSkewError extends Error {
  override readonly name = 'HlcSkewError';
  readonly code = 'clock_skew';
  constructor(
    readonly remote: Hlc,
    readonly localWallMs: number,
    readonly maxSkewMs: number,
  ) {
    super(
      `clock skew: remote timestamp from replica ${remote.replicaId} is ${remote.wallMs - localWallMs} ms ` +
        `ahead of this clock (at most ${maxSkewMs} ms accepted)`,
    );
  }
}

/** A remote stamp is not well formed or out of range (HLC5). */
export class HlcRangeError extends Error {
  override readonly name = 'HlcRangeError';
  readonly code = 'clock_range';
  constructor(readonly remote: unknown) {
    super(
      `malformed timestamp: wall time must be an integer 0..${MAX_HLC_WALL_MS}, counter 0..${MAX_HLC_COUNTER}, ` +
        `replica id 1..${MAX_REPLICA_ID_LENGTH} characters`,
    );
  }
}

export interface HybridClockOptions {
  readonly replicaId: string;
  /** Physical clock in ms since the epoch; injectable so tests can skew it. */
  readonly physicalNow?: () => number;
  /** Largest accepted lead of a remote stamp over the local physical clock. Default 5 minutes. */
  readonly maxSkewMs?: number;
}

export const DEFAULT_MAX_SKEW_MS = 5 * 60_000;

export class HybridClock {
  readonly replicaId: string;
  readonly maxSkewMs: number;
  private readonly physicalNow: () => number;
  private wallMs = 0;
  private counter = 0;

  constructor(options: HybridClockOptions) {
    if (options.replicaId.length === 0 || options.replicaId.length > MAX_REPLICA_ID_LENGTH)
      throw new Error(`HybridClock: replicaId must be 1-${MAX_REPLICA_ID_LENGTH} characters`);
    this.replicaId = options.replicaId;
    this.physicalNow = options.physicalNow ?? (() => Date.now());
    this.maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  }

  /** The latest timestamp issued or merged, without advancing. */
  peek(): Hlc {
    return { wallMs: this.wallMs, counter: this.counter, replicaId: this.replicaId };
  }

  /**
   * A new local timestamp, greater than every stamp issued or received before (HLC2). A counter
   * that would pass its bound moves the wall time on by 1 ms instead (HLC5).
   */
  now(): Hlc {
    const physical = Math.floor(this.physicalNow());
    if (physical > this.wallMs) {
      this.wallMs = physical;
      this.counter = 0;
    } else {
      this.bump(this.counter + 1);
    }
    return this.peek();
  }

  /** Set the counter to `counter`, or carry into the wall time when it passes the bound. */
  private bump(counter: number): void {
    if (counter <= MAX_HLC_COUNTER) {
      this.counter = counter;
    } else {
      this.wallMs += 1;
      this.counter = 0;
    }
  }

  /** The skew error `remote` would raise, or undefined when it is within the bound (HLC3). */
  checkSkew(remote: Hlc): HlcSkewError | undefined {
    const physical = Math.floor(this.physicalNow());
    return remote.wallMs - physical > this.maxSkewMs
      ? new HlcSkewError(remote, physical, this.maxSkewMs)
      : undefined;
  }

  /**
   * Merge a remote stamp so later local stamps exceed it (HLC4). Returns the error instead of
   * merging when the remote is malformed or out of range (HLC5) or lies beyond the skew bound
   * (HLC3); the clock is then unchanged.
   */
  tryReceive(remote: Hlc): HlcSkewError | HlcRangeError | undefined {
    if (!isHlc(remote)) return new HlcRangeError(remote);
    const skew = this.checkSkew(remote);
    if (skew) return skew;
    const physical = Math.floor(this.physicalNow());
    const wall = Math.max(physical, this.wallMs, remote.wallMs);
    let counter: number;
    if (wall === this.wallMs && wall === remote.wallMs) {
      counter = Math.max(this.counter, remote.counter) + 1;
    } else if (wall === this.wallMs) {
      counter = this.counter + 1;
    } else if (wall === remote.wallMs) {
      counter = remote.counter + 1;
    } else {
      counter = 0;
    }
    this.wallMs = wall;
    this.bump(counter);
    return undefined;
  }

  /** As `tryReceive`, but throws the named error (`HlcSkewError`, `HlcRangeError`). */
  receive(remote: Hlc): Hlc {
    const skew = this.tryReceive(remote);
    if (skew) throw skew;
    return this.peek();
  }
}
