/**
 * The fan-out seam: entries this instance committed reach every other instance of the deployment,
 * and entries committed elsewhere reach this one. Transport only — what a received entry does to a
 * loaded document (ordering, gaps, catch-up from the log) is the follower's (docs/follower.ts).
 * Implementations: in-process (one process; several instances on one bus in tests) and Redis
 * Streams (scale-out, redisFanOut.ts). One contract suite checks both (test/fanOutContract.ts).
 */
import type { EntryKind, LogEntry } from '../store/eventStore.js';

/** An entry committed by another instance. */
export interface RemoteEntry {
  readonly doc: string;
  readonly seq: number;
  readonly update: Uint8Array;
  /** Who wrote it, and how (the owner of the client ids it adds follows from these). */
  readonly user: string;
  readonly kind: EntryKind;
  /** When the committing instance published it (ms since the epoch), for the lag histogram. */
  readonly publishedAt: number;
}

export interface FanOutListener {
  /** An entry committed by another instance, in the order this instance received it. */
  entry(entry: RemoteEntry): void;
  /** The transport reconnected: entries may have been missed, catch up from the log. */
  resync(): void;
}

export interface FanOut {
  /** Whether other instances write the same log (so the log can run ahead of a loaded copy). */
  readonly shared: boolean;
  /** Deliver entries this instance committed to the other instances (best effort, in order). */
  publish(entries: readonly LogEntry[]): void;
  /** Start delivering other instances' entries to `listener`. */
  start(listener: FanOutListener): Promise<void>;
  close(): Promise<void>;
}

/** Instances in one process that share a log: a publish by one reaches every other member. */
export class FanOutBus {
  readonly members = new Set<InProcessFanOut>();
}

/**
 * In-process fan-out. Alone on its bus (the embedded server) it delivers nothing; several members
 * of one bus over one store behave like instances of a deployment. Deliveries run after the
 * current turn, in publish order.
 */
export class InProcessFanOut implements FanOut {
  private listener: FanOutListener | undefined;
  private closed = false;

  constructor(private readonly bus = new FanOutBus()) {
    bus.members.add(this);
  }

  get shared(): boolean {
    return this.bus.members.size > 1;
  }

  publish(entries: readonly LogEntry[]): void {
    if (this.closed || entries.length === 0 || this.bus.members.size < 2) return;
    const publishedAt = Date.now();
    const copies = entries.map((e) => ({
      doc: e.doc,
      seq: e.seq,
      update: new Uint8Array(e.update),
      user: e.user,
      kind: e.kind,
      publishedAt,
    }));
    for (const member of this.bus.members) {
      if (member === this) continue;
      setImmediate(() => {
        for (const entry of copies) member.deliver(entry);
      });
    }
  }

  async start(listener: FanOutListener): Promise<void> {
    this.listener = listener;
  }

  private deliver(entry: RemoteEntry): void {
    if (!this.closed) this.listener?.entry(entry);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listener = undefined;
    this.bus.members.delete(this);
  }
}
