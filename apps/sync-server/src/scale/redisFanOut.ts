/**
 * Cross-instance fan-out over one Redis stream (`<prefix>fanout`).
 *
 * - Every entry this instance commits is XADDed as {d: doc, s: seq, o: instance, t: commit ms,
 *   u: Yjs update}, trimmed with `MAXLEN ~`.
 * - Every instance reads the whole stream (XREAD BLOCK on its own connection; no group, since each
 *   instance needs every entry) and applies entries of documents it has loaded with
 *   `LiveDoc.applyRemote` — idempotent in Yjs, so at-least-once delivery is enough.
 * - Per loaded document it tracks which sequence numbers it contains (a contiguous watermark plus
 *   the ones seen above it). A gap that does not close within `gapGraceMs` (entries from different
 *   instances can arrive out of order), a reconnect of the reader, or the periodic sweep (head in
 *   the log ahead of the watermark) triggers a catch-up from the log: `store.readLog(doc,
 *   watermark)`. Nothing is ever resynced in full.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { DocHub } from '../docs/docHub.js';
import type { LiveDoc } from '../docs/liveDoc.js';
import type { EventStore, LogEntry } from '../store/eventStore.js';
import type { ScaleMetrics } from './scaleMetrics.js';

export interface FanOutOptions {
  /** Key prefix, e.g. `concord:`. */
  readonly prefix: string;
  readonly instanceId?: string;
  /** Approximate stream length kept (default 10000); older entries are read from the log. */
  readonly maxLen?: number;
  /** How long a seq gap may stay open before catching up from the log (default 250 ms). */
  readonly gapGraceMs?: number;
  /** Interval of the safety sweep comparing loaded documents with the log head (default 5 s). */
  readonly sweepMs?: number;
  readonly blockMs?: number;
  /** Delay of the savedAck sent to local peers after remote entries were applied (default 50 ms). */
  readonly ackIntervalMs?: number;
}

/** Which sequence numbers of the log a loaded document holds: all ≤ through, plus `above`. */
class SeqTracker {
  readonly above = new Set<number>();
  constructor(public through: number) {}

  /** Record `seq`; false if it was already contained. */
  add(seq: number): boolean {
    if (seq <= this.through || this.above.has(seq)) return false;
    this.above.add(seq);
    while (this.above.delete(this.through + 1)) this.through += 1;
    return true;
  }

  get hasGap(): boolean {
    return this.above.size > 0;
  }
}

export const newInstanceId = () => `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;

export class RedisFanOut {
  readonly instanceId: string;
  readonly streamKey: string;
  private readonly trackers = new WeakMap<LiveDoc, SeqTracker>();
  private readonly catchingUp = new Map<LiveDoc, Promise<void>>();
  private readonly gapTimers = new Map<LiveDoc, NodeJS.Timeout>();
  private readonly ackTimers = new Map<LiveDoc, NodeJS.Timeout>();
  private lastId = '$';
  private closed = false;
  private loop: Promise<void> | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private pending: LogEntry[] = [];
  private publishScheduled = false;
  private readyCount = 0;
  private readonly publishing = new Set<Promise<void>>();

  /**
   * `redis` is shared for commands; `reader` must be a dedicated connection (blocking reads).
   */
  constructor(
    private readonly hub: DocHub,
    private readonly store: EventStore,
    private readonly redis: Redis,
    private readonly reader: Redis,
    private readonly metrics: ScaleMetrics,
    private readonly logger: Logger,
    private readonly options: FanOutOptions,
  ) {
    this.instanceId = options.instanceId ?? newInstanceId();
    this.streamKey = `${options.prefix}fanout`;
  }

  async start(): Promise<void> {
    // Start reading after the newest entry: nothing is loaded yet, and later loads read the log.
    const last = await this.redis.xrevrange(this.streamKey, '+', '-', 'COUNT', 1);
    this.lastId = last[0]?.[0] ?? '0-0';
    const previous = this.hub.onCommittedEntries;
    this.hub.onCommittedEntries = (entries) => {
      previous(entries);
      this.committedHere(entries);
    };
    const previousLoaded = this.hub.onLoaded;
    this.hub.onLoaded = (live) => {
      previousLoaded(live);
      this.trackers.set(live, new SeqTracker(live.headSeq));
    };
    // After a reconnect of the reader, entries may have been trimmed away: catch up from the log.
    this.reader.on('ready', this.onReaderReady);
    this.readyCount = this.reader.status === 'ready' ? 1 : 0;
    this.loop = this.readLoop();
    const sweepMs = this.options.sweepMs ?? 5_000;
    this.sweepTimer = setInterval(() => void this.catchUpAll('sweep'), sweepMs);
    this.sweepTimer.unref();
  }

  private readonly onReaderReady = () => {
    this.readyCount += 1;
    if (this.readyCount > 1) void this.catchUpAll('reconnect');
  };

  /** Entries committed by this instance: remember them as contained, and publish them. */
  private committedHere(entries: readonly LogEntry[]): void {
    for (const e of entries) {
      void this.hub.loaded(e.doc)?.then(
        (live) => {
          this.tracker(live).add(e.seq);
        },
        () => undefined,
      );
    }
    this.pending.push(...entries);
    if (this.publishScheduled) return;
    this.publishScheduled = true;
    setImmediate(() => {
      this.publishScheduled = false;
      const batch = this.pending;
      this.pending = [];
      const p = this.publish(batch);
      this.publishing.add(p);
      void p.finally(() => this.publishing.delete(p));
    });
  }

  private async publish(entries: readonly LogEntry[]): Promise<void> {
    if (entries.length === 0 || this.closed) return;
    const t = String(Date.now());
    const maxLen = this.options.maxLen ?? 10_000;
    const pipeline = this.redis.pipeline();
    for (const e of entries) {
      pipeline.xadd(
        this.streamKey,
        'MAXLEN',
        '~',
        maxLen,
        '*',
        'd',
        e.doc,
        's',
        String(e.seq),
        'o',
        this.instanceId,
        't',
        t,
        'u',
        Buffer.from(e.update.buffer, e.update.byteOffset, e.update.byteLength),
      );
    }
    try {
      const results = (await pipeline.exec()) ?? [];
      const failed = results.filter(([error]) => error).length;
      if (failed > 0) this.metrics.fanOutPublishFailures.inc(failed);
    } catch (error) {
      this.metrics.fanOutPublishFailures.inc(entries.length);
      this.logger.warn({ err: error }, 'fan-out publish failed; peers will catch up from the log');
    }
  }

  private async readLoop(): Promise<void> {
    while (!this.closed) {
      try {
        const result = await this.reader.xreadBuffer(
          'COUNT',
          1000,
          'BLOCK',
          this.options.blockMs ?? 1_000,
          'STREAMS',
          this.streamKey,
          this.lastId,
        );
        if (!result) continue;
        for (const [, messages] of result) {
          for (const [id, fields] of messages) {
            this.lastId = id.toString();
            this.receive(fields);
          }
        }
      } catch (error) {
        if (this.closed) return;
        this.logger.warn({ err: error }, 'fan-out read failed; retrying');
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  private receive(fields: Buffer[]): void {
    const f = new Map<string, Buffer>();
    for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!.toString(), fields[i + 1]!);
    const doc = f.get('d')?.toString();
    const seq = Number(f.get('s')?.toString());
    const update = f.get('u');
    const t = Number(f.get('t')?.toString());
    if (!doc || !Number.isSafeInteger(seq) || !update) return;
    if (f.get('o')?.toString() === this.instanceId) {
      this.metrics.fanOutReceived.inc({ outcome: 'own' });
      return;
    }
    const loaded = this.hub.loaded(doc);
    if (!loaded) {
      this.metrics.fanOutReceived.inc({ outcome: 'not_loaded' });
      return;
    }
    loaded.then(
      (live) => {
        const tracker = this.tracker(live);
        if (!tracker.add(seq)) {
          this.metrics.fanOutReceived.inc({ outcome: 'duplicate' });
          return;
        }
        this.apply(live, new Uint8Array(update.buffer, update.byteOffset, update.byteLength), seq);
        this.metrics.fanOutReceived.inc({ outcome: 'applied' });
        if (Number.isFinite(t)) this.metrics.replicationLag.observe((Date.now() - t) / 1000);
        if (tracker.hasGap) this.scheduleGapCheck(live);
      },
      () => undefined,
    );
  }

  private apply(live: LiveDoc, update: Uint8Array, seq: number): void {
    try {
      live.applyRemote(update, seq);
      this.scheduleAcks(live);
    } catch (error) {
      // a document unloaded (destroyed) meanwhile: the next load reads the log
      this.logger.debug({ err: error, doc: live.name }, 'remote update not applied');
    }
  }

  /** Remote entries are committed: acknowledge them to this instance's peers (throttled). */
  private scheduleAcks(live: LiveDoc): void {
    if (this.ackTimers.has(live) || live.peers.size === 0) return;
    const timer = setTimeout(() => {
      this.ackTimers.delete(live);
      for (const peer of live.peers) live.sendSavedAck(peer);
    }, this.options.ackIntervalMs ?? 50);
    timer.unref();
    this.ackTimers.set(live, timer);
  }

  private tracker(live: LiveDoc): SeqTracker {
    let t = this.trackers.get(live);
    if (!t) this.trackers.set(live, (t = new SeqTracker(live.headSeq)));
    return t;
  }

  private scheduleGapCheck(live: LiveDoc): void {
    if (this.gapTimers.has(live)) return;
    const timer = setTimeout(() => {
      this.gapTimers.delete(live);
      if (this.tracker(live).hasGap) void this.catchUp(live, 'gap');
    }, this.options.gapGraceMs ?? 250);
    timer.unref();
    this.gapTimers.set(live, timer);
  }

  /** Apply every log entry after the watermark that this document does not contain yet. */
  catchUp(live: LiveDoc, reason: 'gap' | 'reconnect' | 'sweep'): Promise<void> {
    const running = this.catchingUp.get(live);
    if (running) return running;
    const run = (async () => {
      const tracker = this.tracker(live);
      this.metrics.catchUps.inc({ reason });
      for (;;) {
        const from = tracker.through;
        const entries = await this.store.readLog(live.name, from, 500);
        for (const e of entries) {
          if (!tracker.add(e.seq)) continue;
          this.apply(live, e.update, e.seq);
          this.metrics.catchUpEntries.inc();
        }
        if (entries.length < 500 || tracker.through === from) break;
      }
    })()
      .catch((error: unknown) => {
        this.logger.warn({ err: error, doc: live.name }, 'catch-up failed; will retry');
      })
      .finally(() => this.catchingUp.delete(live));
    this.catchingUp.set(live, run);
    return run;
  }

  /** Catch up every loaded document whose log head is ahead of what it contains. */
  async catchUpAll(reason: 'reconnect' | 'sweep'): Promise<void> {
    if (this.closed) return;
    await Promise.all(
      this.hub.loadedNames().map(async (name) => {
        try {
          const live = await this.hub.loaded(name);
          if (!live) return;
          const head = await this.store.head(name);
          if (head && head.seq > this.tracker(live).through) await this.catchUp(live, reason);
        } catch {
          // not loadable or the store is unreachable: the next sweep retries
        }
      }),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Flush entries committed during shutdown before the connection goes.
    const batch = this.pending;
    this.pending = [];
    await this.publish(batch);
    await Promise.all([...this.publishing]);
    this.closed = true;
    clearInterval(this.sweepTimer);
    for (const timer of [...this.gapTimers.values(), ...this.ackTimers.values()])
      clearTimeout(timer);
    this.reader.off('ready', this.onReaderReady);
    this.reader.disconnect();
    await this.loop;
  }
}
