/**
 * Keeps loaded documents in step with a log that other instances also write (scale-out). Entries
 * arrive over the fan-out, possibly out of order or not at all; per document the follower records
 * which sequence numbers it holds (`LiveDoc.committed`), and catches up from the log when a gap
 * stays open for `gapGraceMs`, when the transport reconnects, or when the periodic sweep finds the
 * log head ahead of a loaded copy. Nothing is ever resynced in full (SPEC SO2, SO5).
 */
import type { Logger } from 'pino';
import type { FanOutListener, RemoteEntry } from '../fanout/fanOut.js';
import type { Metrics } from '../metrics.js';
import type { WritePipeline } from '../pipeline/writePipeline.js';
import type { EventStore } from '../store/eventStore.js';
import type { LiveDoc } from './liveDoc.js';

export interface FollowerOptions {
  readonly gapGraceMs?: number;
  readonly sweepMs?: number;
}

export interface LoadedDocs {
  loaded(name: string): Promise<LiveDoc> | undefined;
  loadedNames(): string[];
}

export class Follower implements FanOutListener {
  private readonly catchingUp = new Map<LiveDoc, Promise<void>>();
  private readonly gapTimers = new Map<LiveDoc, NodeJS.Timeout>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly docs: LoadedDocs,
    private readonly store: EventStore,
    private readonly pipeline: WritePipeline,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly options: FollowerOptions = {},
  ) {}

  /** Sweep periodically (only useful when other instances share the log). */
  startSweeping(): void {
    this.sweepTimer = setInterval(
      () => void this.catchUpAll('sweep'),
      this.options.sweepMs ?? 5_000,
    );
    this.sweepTimer.unref();
  }

  entry(entry: RemoteEntry): void {
    const loaded = this.docs.loaded(entry.doc);
    if (!loaded) {
      this.metrics.fanOutReceived.inc({ outcome: 'not_loaded' });
      return;
    }
    loaded.then(
      (live) => {
        if (live.destroyed) return;
        if (!this.pipeline.applyRemote(live, entry)) {
          this.metrics.fanOutReceived.inc({ outcome: 'duplicate' });
          return;
        }
        this.metrics.fanOutReceived.inc({ outcome: 'applied' });
        this.metrics.replicationLag.observe(Math.max(0, Date.now() - entry.publishedAt) / 1000);
        if (live.committed.hasGap) this.scheduleGapCheck(live);
      },
      () => undefined,
    );
  }

  resync(): void {
    void this.catchUpAll('reconnect');
  }

  private scheduleGapCheck(live: LiveDoc): void {
    if (this.gapTimers.has(live)) return;
    const timer = setTimeout(() => {
      this.gapTimers.delete(live);
      if (live.committed.hasGap && !live.destroyed) void this.catchUp(live, 'gap');
    }, this.options.gapGraceMs ?? 250);
    timer.unref();
    this.gapTimers.set(live, timer);
  }

  /** Apply every log entry after this copy's version that it does not hold yet. */
  catchUp(live: LiveDoc, reason: 'gap' | 'reconnect' | 'sweep' | 'read'): Promise<void> {
    const running = this.catchingUp.get(live);
    if (running) return running;
    const run = (async () => {
      this.metrics.catchUps.inc({ reason });
      for (;;) {
        const from = live.version;
        const entries = await this.store.readLog(live.name, from, 500);
        if (live.destroyed) return;
        for (const e of entries) {
          if (this.pipeline.applyRemote(live, e)) this.metrics.catchUpEntries.inc();
        }
        if (entries.length < 500 || live.version === from) break;
      }
    })()
      .catch((error: unknown) => {
        this.logger.warn({ err: error, doc: live.name }, 'catch-up failed; will retry');
      })
      .finally(() => this.catchingUp.delete(live));
    this.catchingUp.set(live, run);
    return run;
  }

  /** Bring `live` up to the log's head (before answering a read or checking If-Match). */
  async upToHead(live: LiveDoc): Promise<void> {
    const head = await this.store.head(live.name);
    if (head && head.seq > live.version) await this.catchUp(live, 'read');
  }

  /** Catch up every loaded document whose log head is ahead of what it holds. */
  async catchUpAll(reason: 'reconnect' | 'sweep'): Promise<void> {
    if (this.closed) return;
    await Promise.all(
      this.docs.loadedNames().map(async (name) => {
        try {
          const live = await this.docs.loaded(name);
          if (!live || live.destroyed) return;
          const head = await this.store.head(name);
          if (head && head.seq > live.version) await this.catchUp(live, reason);
        } catch {
          // not loadable or the store is unreachable: the next sweep retries
        }
      }),
    );
  }

  forget(live: LiveDoc): void {
    clearTimeout(this.gapTimers.get(live));
    this.gapTimers.delete(live);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sweepTimer);
    for (const timer of this.gapTimers.values()) clearTimeout(timer);
    this.gapTimers.clear();
  }
}
