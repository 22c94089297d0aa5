/**
 * The updates of one connection on their way to the write pipeline (SPEC PIPE3). Updates that
 * arrive together — one read of the socket: a paste, a reconnect's sync step 2, a burst — are
 * collected and handed over as one batch at the end of the read (or before any other message of
 * the connection, so order holds). Updates another instance's entries must come first for (SO7)
 * are submitted again after catching up, in arrival order.
 */
import type { DocHub } from '../docs/docHub.js';
import type { LiveDoc } from '../docs/liveDoc.js';
import type { BatchResult, Writer } from '../pipeline/writePipeline.js';

/** Updates submitted together at most (count and bytes); more start another batch. */
const MAX_BATCH = 1_000;
const MAX_BATCH_BYTES = 1024 * 1024;

export interface InboxOwner {
  readonly writer: Writer;
  /** Is the connection gone (nothing more is submitted)? */
  readonly closed: boolean;
  /** What became of a batch; `started` is when it was handed over. */
  settled(batch: BatchResult, started: bigint): void;
  /** The pipeline threw: the connection cannot go on. */
  failed(error: unknown): void;
}

export class UpdateInbox {
  private updates: Uint8Array[] = [];
  private bytes = 0;
  /** Updates waiting to be submitted again after a catch-up, in arrival order. */
  private retries: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly hub: DocHub,
    private readonly owner: InboxOwner,
  ) {}

  add(live: LiveDoc, update: Uint8Array): void {
    this.updates.push(update);
    this.bytes += update.byteLength;
    if (this.updates.length === 1) queueMicrotask(() => this.submit(live));
    else if (this.updates.length >= MAX_BATCH || this.bytes >= MAX_BATCH_BYTES) this.submit(live);
  }

  /** Hand what was collected to the pipeline now. */
  submit(live: LiveDoc): void {
    if (this.updates.length === 0) return;
    const updates = this.updates;
    this.updates = [];
    this.bytes = 0;
    if (this.owner.closed || live.destroyed) return;
    const started = process.hrtime.bigint();
    const { pipeline, follower } = this.hub;
    const writer = this.owner.writer;
    void pipeline
      .submitUpdates(live, updates, writer, this.hub.fanOut.shared)
      .then((batch) => {
        this.owner.settled(batch, started);
        if (batch.behind.length === 0) return;
        // Another instance committed what these updates build on: catch up from the log, then
        // submit them once more, after any retry before them (SPEC SO7).
        const retry = this.retries
          .then(() => follower.upToHead(live))
          .then(() =>
            live.destroyed ? undefined : pipeline.submitUpdates(live, batch.behind, writer),
          )
          .then((again) => again && this.owner.settled(again, started));
        this.retries = retry.catch(() => undefined);
        return retry;
      })
      .catch((error: unknown) => this.owner.failed(error));
  }
}
