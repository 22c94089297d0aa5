/**
 * Fan-out between instances over one Redis stream (`<prefix>fanout`), the scale-out
 * implementation of the FanOut seam (fanout/fanOut.ts).
 *
 * - Every entry this instance commits is XADDed as {d: doc, s: seq, o: instance, w: writer,
 *   k: entry kind, t: publish ms, u: Yjs update}, trimmed with `MAXLEN ~`; publishes of one turn
 *   go in one pipeline.
 * - Every instance reads the whole stream (XREAD BLOCK on its own connection; no group, since each
 *   instance needs every entry) and hands other instances' entries to its listener, in stream
 *   order. Ordering, gaps and catch-up from the log are the follower's (docs/follower.ts).
 * - When the reader reconnects, entries may have been trimmed away meanwhile: the listener is
 *   told to resync (catch up from the log).
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { FanOut, FanOutListener } from '../fanout/fanOut.js';
import { ENTRY_KINDS } from '@concord/shared';
import type { EntryKind, LogEntry } from '../store/eventStore.js';
import type { ScaleMetrics } from './scaleMetrics.js';

export interface FanOutOptions {
  /** Key prefix, e.g. `concord:`. */
  readonly prefix: string;
  readonly instanceId?: string;
  /** Approximate stream length kept (default 10000); older entries are read from the log. */
  readonly maxLen?: number;
  readonly blockMs?: number;
}

export const newInstanceId = () => `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;

export class RedisFanOut implements FanOut {
  readonly shared = true;
  readonly instanceId: string;
  readonly streamKey: string;
  private listener: FanOutListener | undefined;
  private lastId = '$';
  private closed = false;
  private loop: Promise<void> | undefined;
  private pending: LogEntry[] = [];
  private publishScheduled = false;
  private readyCount = 0;
  private readonly publishing = new Set<Promise<void>>();

  /** `redis` is shared for commands; `reader` must be a dedicated connection (blocking reads). */
  constructor(
    private readonly redis: Redis,
    private readonly reader: Redis,
    private readonly metrics: ScaleMetrics,
    private readonly logger: Logger,
    private readonly options: FanOutOptions,
  ) {
    this.instanceId = options.instanceId ?? newInstanceId();
    this.streamKey = `${options.prefix}fanout`;
  }

  async start(listener: FanOutListener): Promise<void> {
    this.listener = listener;
    // Start reading after the newest entry: nothing is loaded yet, and later loads read the log.
    const last = await this.redis.xrevrange(this.streamKey, '+', '-', 'COUNT', 1);
    this.lastId = last[0]?.[0] ?? '0-0';
    this.reader.on('ready', this.onReaderReady);
    this.readyCount = this.reader.status === 'ready' ? 1 : 0;
    this.loop = this.readLoop();
  }

  private readonly onReaderReady = () => {
    this.readyCount += 1;
    if (this.readyCount > 1) this.listener?.resync();
  };

  publish(entries: readonly LogEntry[]): void {
    if (this.closed) return;
    this.pending.push(...entries);
    if (this.publishScheduled) return;
    this.publishScheduled = true;
    setImmediate(() => {
      this.publishScheduled = false;
      const batch = this.pending;
      this.pending = [];
      const p = this.send(batch);
      this.publishing.add(p);
      void p.finally(() => this.publishing.delete(p));
    });
  }

  private async send(entries: readonly LogEntry[]): Promise<void> {
    if (entries.length === 0) return;
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
        'w',
        e.user,
        'k',
        e.kind,
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
    const user = f.get('w')?.toString();
    const kind = f.get('k')?.toString();
    if (!doc || !Number.isSafeInteger(seq) || seq < 1 || !update || !user || !isEntryKind(kind))
      return;
    if (f.get('o')?.toString() === this.instanceId) return;
    this.listener?.entry({
      doc,
      seq,
      update: new Uint8Array(update.buffer, update.byteOffset, update.byteLength),
      user,
      kind,
      publishedAt: Number.isFinite(t) ? t : Date.now(),
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Flush entries committed during shutdown before the connection goes.
    const batch = this.pending;
    this.pending = [];
    await this.send(batch);
    await Promise.all([...this.publishing]);
    this.closed = true;
    this.listener = undefined;
    this.reader.off('ready', this.onReaderReady);
    this.reader.disconnect();
    await this.loop;
  }
}

function isEntryKind(kind: string | undefined): kind is EntryKind {
  return kind !== undefined && (ENTRY_KINDS as readonly string[]).includes(kind);
}
