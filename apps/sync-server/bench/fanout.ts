/**
 * Fan-out run: one product document, N writer clients editing it concurrently, plus a few
 * observers — real provider clients holding full replicas — that timestamp arrivals. Closed loop
 * (each writer keeps `window` edits in flight; an edit completes when observer 0 receives it) or,
 * with `ratePerS`, open loop (a fixed offered load, whatever the server answers).
 *
 * Writers are lightweight: a raw socket (wire.ts) and a Y.Doc that holds only the writer's own
 * edits (each edit is a real `applyPatch` of the product's stock counter, sent as a y-protocols
 * update message in the server's framing). They read every frame the server sends but decode only
 * Concord's savedAck (type 100).
 */
import * as decoding from 'lib0/decoding';
import * as Y from 'yjs';
import {
  HybridClock,
  MessageType,
  applyPatch,
  materialize,
  productKind,
  readSavedAck,
} from '@concord/shared';
import { compareReplicas, freshMatches, verdict, type Verdict } from './checks.js';
import { yClient, type YClient } from './clients.js';
import {
  HOST,
  clientMeter,
  latencySummary,
  mainThreadPct,
  round,
  scrapeMetrics,
  sleep,
  stableJson,
  token,
  waitFor,
  type ServerProcess,
} from './harness.js';
import { RawClient } from './wire.js';

export interface FanoutOptions {
  readonly clients: number;
  readonly durationMs: number;
  readonly observers: number;
  readonly window: number;
  /** Open loop: offer this many edits per second in total, round-robin over the writers. */
  readonly ratePerS?: number;
}

type Latency = ReturnType<typeof latencySummary>;

export interface FanoutResult {
  server: string;
  clients: number;
  /** Open-loop runs: the offered load (edits/s); null for closed-loop (saturation) runs. */
  offeredPerS: number | null;
  durationS: number;
  editsSent: number;
  /** Edits delivered to observer 0 within the measured window, per second. */
  throughputEditsPerS: number;
  /** Update messages the server delivered per second (edits × recipients). */
  deliveriesPerS: number;
  propagationMs: Latency;
  durableAckMs: (Latency & { within100msPct: number | null; unacked: number }) | null;
  serverCpuS: number;
  /**
   * Share of that CPU on the server's main thread (%); the rest ran on other threads: Concord's
   * SQLite writer, V8's compiler and GC helpers. Null where the main thread cannot be read apart.
   */
  serverMainThreadPct: number | null;
  /** Server CPU per update message delivered (µs): CPU over edits × recipients in the window. */
  serverCpuUsPerDelivery: number | null;
  serverCpuMsPer1kEdits: number | null;
  /** The benchmark process (all clients) in the window: % of its one core, and whether ≥ 90 %. */
  clientCpuPct: number;
  clientBound: boolean;
  /** Concord only, from /metrics over the measured window: group commits and their duration. */
  commits: { count: number; entriesPerCommit: number | null; meanMs: number | null } | null;
  closes: Record<string, number>;
  /** Observer 0's final state vector (not serialized). */
  finalStateVector?: Uint8Array;
  convergence: Verdict;
}

interface Sent {
  readonly t: number;
  readonly writer: Writer;
  seen: number;
}

class Writer {
  readonly doc = new Y.Doc();
  readonly client: RawClient;
  private readonly clock: HybridClock;
  inFlight = 0;
  sent = 0;
  readonly pendingAck: { clock: number; t: number }[] = [];
  private last: Uint8Array | undefined;

  constructor(
    server: ServerProcess,
    docName: string,
    readonly index: number,
    private readonly run: FanoutRun,
  ) {
    this.clock = new HybridClock({ replicaId: `w${index}` });
    this.doc.on('update', (u: Uint8Array) => (this.last = u));
    const acks = server.kind === 'concord';
    this.client = new RawClient(
      server,
      docName,
      `writer-${index}`,
      (data) => {
        if (acks && data[0] === MessageType.savedAck) this.onAck(data);
      },
      (code) => {
        if (!run.stopping) run.closes[code] = (run.closes[code] ?? 0) + 1;
      },
    );
  }

  get ready(): boolean {
    return this.client.open && this.client.answered;
  }

  maybeSend(): void {
    if (this.run.options.ratePerS) return; // paced by the run's ticker instead
    while (this.run.running && this.client.open && this.inFlight < this.run.options.window)
      this.edit();
  }

  edit(): void {
    this.last = undefined;
    applyPatch(
      this.doc,
      productKind,
      { stock: { delta: 1 } },
      { clock: this.clock, writer: `w${this.index}` },
    );
    const update = this.last as Uint8Array | undefined;
    if (!update) throw new Error('applyPatch produced no update');
    const clock = Y.getState(this.doc.store, this.doc.clientID);
    const t = performance.now();
    this.run.sentAt.set(`${this.doc.clientID}:${clock}`, { t, writer: this, seen: 0 });
    let clocks = this.run.sentClocks.get(this.doc.clientID);
    if (!clocks) this.run.sentClocks.set(this.doc.clientID, (clocks = []));
    clocks.push(clock);
    if (this.run.ackTracking) this.pendingAck.push({ clock, t });
    this.inFlight += 1;
    this.sent += 1;
    this.client.sendUpdate(update);
  }

  private onAck(data: Buffer): void {
    const decoder = decoding.createDecoder(
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    );
    decoding.readVarUint(decoder);
    const { stateVector } = readSavedAck(decoder);
    const saved = Y.decodeStateVector(stateVector).get(this.doc.clientID) ?? 0;
    const now = performance.now();
    let i = 0;
    while (i < this.pendingAck.length && this.pendingAck[i]!.clock <= saved) {
      this.run.ackMs.push(now - this.pendingAck[i]!.t);
      i += 1;
    }
    if (i > 0) this.pendingAck.splice(0, i);
  }

  destroy(): void {
    this.client.terminate();
    this.doc.destroy();
  }
}

class FanoutRun {
  running = false;
  stopping = false;
  readonly sentAt = new Map<string, Sent>();
  readonly propagationMs: number[] = [];
  readonly ackMs: number[] = [];
  readonly closes: Record<string, number> = {};
  completedInWindow = 0;
  windowEnd = Infinity;
  /** Per observer, per writer client: the clock up to which its edits have been timed. */
  private readonly seenUpTo = new Map<number, Map<number, number>>();
  /** Per writer client: the clocks of its edits, ascending. */
  readonly sentClocks = new Map<number, number[]>();

  constructor(
    readonly options: FanoutOptions,
    readonly ackTracking: boolean,
  ) {}

  /**
   * An observer integrated an update: time every writer edit it contains. A merged update holds
   * several edits of one writer, and its meta only names the last clock: every sent clock up to
   * it is contained.
   */
  observed(observer: number, update: Uint8Array): void {
    const now = performance.now();
    const { to } = Y.parseUpdateMeta(update);
    let seen = this.seenUpTo.get(observer);
    if (!seen) this.seenUpTo.set(observer, (seen = new Map()));
    for (const [client, end] of to) {
      const from = seen.get(client) ?? 0;
      if (end <= from) continue;
      seen.set(client, end);
      const clocks = this.sentClocks.get(client) ?? [];
      for (let i = clocks.length - 1; i >= 0 && clocks[i]! > from; i--) {
        if (clocks[i]! <= end) this.timeEdit(observer, `${client}:${clocks[i]}`, now);
      }
    }
  }

  private timeEdit(observer: number, key: string, now: number): void {
    const sent = this.sentAt.get(key);
    if (!sent) return;
    this.propagationMs.push(now - sent.t);
    sent.seen += 1;
    if (observer === 0) {
      if (now <= this.windowEnd) this.completedInWindow += 1;
      sent.writer.inFlight -= 1;
      sent.writer.maybeSend();
    }
    if (sent.seen >= this.options.observers) this.sentAt.delete(key);
  }
}

export async function fanout(
  server: ServerProcess,
  docName: string,
  options: FanoutOptions,
): Promise<FanoutResult> {
  const isConcord = server.kind === 'concord';
  const run = new FanoutRun(options, isConcord);
  const observers: YClient[] = [];
  const writers: Writer[] = [];
  const v = verdict();
  try {
    for (let i = 0; i < options.observers; i++) {
      const o = yClient(server, docName);
      o.doc.on('update', (u: Uint8Array, origin: unknown) => {
        if (origin === o.origin) run.observed(i, u);
      });
      observers.push(o);
    }
    for (let i = 0; i < options.clients; i++) writers.push(new Writer(server, docName, i, run));
    const ready = await waitFor(
      () => writers.every((w) => w.ready) && observers.every((o) => o.synced()),
      `${options.clients} writers open and observers synced`,
      30_000,
    );
    if (!ready) throw new Error('clients could not connect');
    await sleep(200);
    // A document with a history (`fixed` on a large document) starts with some stock.
    const stockBefore = stockOf(observers[0]!.doc, docName);

    const m0 = isConcord ? await scrapeMetrics(server) : undefined;
    const stats0 = await server.stats();
    const meter = clientMeter();
    const t0 = performance.now();
    run.windowEnd = t0 + options.durationMs;
    run.running = true;
    for (const w of writers) w.maybeSend();
    let ticker: NodeJS.Timeout | undefined;
    if (options.ratePerS) {
      const rate = options.ratePerS;
      let offered = 0;
      ticker = setInterval(() => {
        const due = Math.floor(((performance.now() - t0) / 1000) * rate);
        for (; offered < due && run.running; offered++) {
          const w = writers[offered % writers.length]!;
          if (w.client.open) w.edit();
        }
      }, 5);
    }
    await sleep(options.durationMs);
    clearInterval(ticker);
    run.running = false;
    const client = meter();
    const stats1 = await server.stats();
    const m1 = isConcord ? await scrapeMetrics(server) : undefined;
    const elapsedS = (performance.now() - t0) / 1000;

    // Drain: every edit sent reaches every observer (and, on Concord, is durably acknowledged).
    if (!(await waitFor(() => run.sentAt.size === 0, 'all edits delivered to observers', 20_000)))
      v.problems.push(`${run.sentAt.size} edits never reached every observer`);
    let unacked = 0;
    if (isConcord) {
      await waitFor(
        () => writers.every((w) => w.pendingAck.length === 0),
        'all edits acknowledged',
        10_000,
      );
      unacked = writers.reduce((n, w) => n + w.pendingAck.length, 0);
      if (unacked > 0) v.problems.push(`${unacked} edits not durably acknowledged`);
    }

    // Convergence: compare replicas, never assume.
    const editsSent = writers.reduce((n, w) => n + w.sent, 0);
    const first = compareReplicas(
      observers.map((o) => o.doc),
      docName,
      v,
      'observers',
    );
    const added = stockOf(observers[0]!.doc, docName) - stockBefore;
    if (added === editsSent) v.checks.push(`stock counter +${added} = edits sent`);
    else v.problems.push(`stock counter +${added} != edits sent ${editsSent}`);
    const svMap = Y.decodeStateVector(first.stateVector);
    const behind = writers.filter(
      (w) => (svMap.get(w.doc.clientID) ?? 0) !== Y.getState(w.doc.store, w.doc.clientID),
    );
    if (behind.length > 0) v.problems.push(`${behind.length} writers' edits missing at observer 0`);
    else v.checks.push(`observer 0 holds every writer's full history (${writers.length} writers)`);
    await freshMatches(server, docName, first, v);
    if (isConcord) {
      const res = await fetch(`http://${HOST}:${server.port}/api/docs/${docName}`, {
        headers: { authorization: `Bearer ${token('bench')}` },
      });
      if (stableJson(await res.json()) === first.json)
        v.checks.push('HTTP GET of the server document = replicas');
      else v.problems.push('HTTP GET of the server document differs');
    }

    const throughput = run.completedInWindow / (options.durationMs / 1000);
    const recipients = options.clients - 1 + options.observers;
    const cpuS = stats1.cpuS - stats0.cpuS;
    const offeredPerS = options.ratePerS ?? null;
    const ack = latencySummary(run.ackMs);
    return {
      server: server.kind,
      clients: options.clients,
      durationS: round(elapsedS, 2)!,
      offeredPerS,
      editsSent,
      throughputEditsPerS: round(throughput, 0)!,
      deliveriesPerS: round(throughput * recipients, 0)!,
      propagationMs: latencySummary(run.propagationMs),
      durableAckMs: isConcord
        ? {
            ...ack,
            within100msPct: run.ackMs.length
              ? round((100 * run.ackMs.filter((x) => x <= 100).length) / run.ackMs.length, 2)
              : null,
            unacked,
          }
        : null,
      serverCpuS: round(cpuS, 2)!,
      serverMainThreadPct: mainThreadPct(stats0, stats1),
      serverCpuUsPerDelivery: run.completedInWindow
        ? round((cpuS * 1e6) / (run.completedInWindow * recipients), 2)
        : null,
      serverCpuMsPer1kEdits: run.completedInWindow
        ? round((cpuS * 1e6) / run.completedInWindow, 1)
        : null,
      clientCpuPct: client.pct,
      clientBound: client.bound,
      commits:
        m0 && m1
          ? (() => {
              const count = m1.concord_append_seconds_count! - m0.concord_append_seconds_count!;
              const seconds = m1.concord_append_seconds_sum! - m0.concord_append_seconds_sum!;
              const entries =
                m1.concord_appended_entries_total! - m0.concord_appended_entries_total!;
              return {
                count,
                entriesPerCommit: count ? round(entries / count, 1) : null,
                meanMs: count ? round((seconds * 1000) / count, 2) : null,
              };
            })()
          : null,
      closes: run.closes,
      finalStateVector: first.stateVector,
      convergence: v,
    };
  } finally {
    run.stopping = true;
    run.running = false;
    for (const o of observers) o.destroy();
    for (const w of writers) w.destroy();
  }
}

function stockOf(doc: Y.Doc, docName: string): number {
  return (materialize(doc, productKind, docName.split(':')[1]!) as { stock?: number }).stock ?? 0;
}
