/**
 * Fan-out scenario: one product document, N writer clients editing it concurrently (closed loop:
 * each writer keeps `window` edits in flight; an edit completes when observer 0 receives it), plus
 * a few observers — real y-websocket clients holding full replicas — that timestamp arrivals.
 *
 * Writers are lightweight: a raw `ws` socket and a Y.Doc that holds only the writer's own edits
 * (each edit is a real `applyPatch` of the product's stock counter, encoded as a y-protocols
 * update message). They read every frame the server sends (so the server is never held back by
 * TCP backpressure) but decode only Concord's savedAck (type 100).
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as syncProtocol from 'y-protocols/sync';
import {
  HybridClock,
  MessageType,
  applyPatch,
  materialize,
  productKind,
  readSavedAck,
} from '@concord/shared';
import {
  HOST,
  docUrl,
  percentile,
  round,
  scrapeMetrics,
  sleep,
  sortNumbers,
  stableJson,
  stateVectorsEqual,
  token,
  waitFor,
  yClient,
  type ServerProcess,
  type YClient,
} from './harness.js';

export interface FanoutOptions {
  readonly clients: number;
  readonly durationMs: number;
  readonly observers: number;
  readonly window: number;
  /**
   * Open loop: offer this many edits per second in total, spread round-robin over the writers,
   * whatever the server's answers (latency at a fixed load instead of at saturation).
   */
  readonly ratePerS?: number;
}

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
  propagationMs: { p50: number | null; p99: number | null; max: number | null; samples: number };
  durableAckMs: {
    p50: number | null;
    p99: number | null;
    max: number | null;
    within100msPct: number | null;
    samples: number;
    unacked: number;
  } | null;
  serverCpuS: number;
  /** Server CPU per update message delivered (µs): CPU over edits × recipients in the window. */
  serverCpuUsPerDelivery: number | null;
  /** CPU seconds the benchmark process (all clients) used in the window: ~1.0 per second = saturated. */
  clientCpuS: number;
  /** Concord only, from /metrics over the measured window: group commits and their duration. */
  commits: {
    count: number;
    entriesPerCommit: number | null;
    meanMs: number | null;
    blockedS: number;
  } | null;
  serverCpuMsPer1kEdits: number | null;
  closes: Record<string, number>;
  /** Observer 0's final state vector (not serialized). */
  finalStateVector?: Uint8Array;
  convergence: {
    ok: boolean;
    checks: string[];
    problems: string[];
  };
}

interface Sent {
  readonly t: number;
  readonly writer: Writer;
  seen: number;
}

class Writer {
  readonly doc = new Y.Doc();
  readonly ws: WebSocket;
  private readonly clock: HybridClock;
  inFlight = 0;
  sent = 0;
  open = false;
  readonly pendingAck: { clock: number; t: number }[] = [];
  private last: Uint8Array | undefined;

  constructor(
    url: string,
    readonly index: number,
    private readonly run: FanoutRun,
  ) {
    this.clock = new HybridClock({ replicaId: `w${index}` });
    this.doc.on('update', (u: Uint8Array) => (this.last = u));
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.ws.binaryType = 'nodebuffer';
    this.ws.on('open', () => (this.open = true));
    this.ws.on('message', (data: Buffer) => {
      if (data[0] === MessageType.savedAck) this.onAck(data);
    });
    this.ws.on('close', (code) => {
      this.open = false;
      if (!run.stopping) run.closes[code] = (run.closes[code] ?? 0) + 1;
    });
    this.ws.on('error', () => {});
  }

  maybeSend(): void {
    if (this.run.options.ratePerS) return; // paced by the run's ticker instead
    while (this.run.running && this.open && this.inFlight < this.run.options.window) this.edit();
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
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, MessageType.sync);
    syncProtocol.writeUpdate(e, update);
    const t = performance.now();
    this.run.sentAt.set(`${this.doc.clientID}:${clock}`, { t, writer: this, seen: 0 });
    let clocks = this.run.sentClocks.get(this.doc.clientID);
    if (!clocks) this.run.sentClocks.set(this.doc.clientID, (clocks = []));
    clocks.push(clock);
    if (this.run.ackTracking) this.pendingAck.push({ clock, t });
    this.inFlight += 1;
    this.sent += 1;
    this.ws.send(encoding.toUint8Array(e));
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
    this.ws.terminate();
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
  constructor(
    readonly options: FanoutOptions,
    readonly ackTracking: boolean,
  ) {}

  /** Per observer, per writer client: the clock up to which its edits have been timed. */
  private readonly seenUpTo = new Map<number, Map<number, number>>();
  /** Per writer client: the clocks of its edits, ascending. */
  readonly sentClocks = new Map<number, number[]>();

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
  const problems: string[] = [];
  const checks: string[] = [];
  let fresh: YClient | undefined;
  try {
    for (let i = 0; i < options.observers; i++) {
      const o = yClient(server, docName);
      o.doc.on('update', (u: Uint8Array, origin: unknown) => {
        if (origin === o.provider) run.observed(i, u);
      });
      observers.push(o);
    }
    for (let i = 0; i < options.clients; i++) {
      writers.push(new Writer(docUrl(server, docName, true, `writer-${i}`), i, run));
    }
    const ready = await waitFor(
      () => writers.every((w) => w.open) && observers.every((o) => o.provider.synced),
      `${options.clients} writers open and observers synced`,
      30_000,
    );
    if (!ready) throw new Error('clients could not connect');
    await sleep(200);

    const m0 = isConcord ? await scrapeMetrics(server) : undefined;
    const cpu0 = await server.cpuSeconds();
    const client0 = process.cpuUsage();
    const t0 = performance.now();
    run.windowEnd = t0 + options.durationMs;
    run.running = true;
    for (const w of writers) w.maybeSend();
    let ticker: NodeJS.Timeout | undefined;
    if (options.ratePerS) {
      let offered = 0;
      ticker = setInterval(() => {
        const due = Math.floor(((performance.now() - t0) / 1000) * options.ratePerS!);
        for (; offered < due && run.running; offered++) {
          const w = writers[offered % writers.length]!;
          if (w.open) w.edit();
        }
      }, 5);
    }
    await sleep(options.durationMs);
    clearInterval(ticker);
    run.running = false;
    const client1 = process.cpuUsage(client0);
    const cpu1 = await server.cpuSeconds();
    const m1 = isConcord ? await scrapeMetrics(server) : undefined;
    const elapsedS = (performance.now() - t0) / 1000;

    // Drain: every edit sent reaches every observer (and, on Concord, is durably acknowledged).
    const delivered = await waitFor(
      () => run.sentAt.size === 0,
      'all edits delivered to observers',
      20_000,
    );
    if (!delivered) problems.push(`${run.sentAt.size} edits never reached every observer`);
    let unacked = 0;
    if (isConcord) {
      await waitFor(
        () => writers.every((w) => w.pendingAck.length === 0),
        'all edits acknowledged',
        10_000,
      );
      unacked = writers.reduce((n, w) => n + w.pendingAck.length, 0);
      if (unacked > 0) problems.push(`${unacked} edits not durably acknowledged`);
    }

    // Convergence: compare replicas, never assume.
    const editsSent = writers.reduce((n, w) => n + w.sent, 0);
    const id = docName.split(':')[1]!;
    const sv0 = Y.encodeStateVector(observers[0]!.doc);
    const json0 = stableJson(materialize(observers[0]!.doc, productKind, id));
    const stock = (materialize(observers[0]!.doc, productKind, id) as { stock: number }).stock;
    if (stock === editsSent) checks.push(`stock counter = ${stock} = edits sent`);
    else problems.push(`stock ${stock} != edits sent ${editsSent}`);
    observers.forEach((o, i) => {
      if (i === 0) return;
      if (!stateVectorsEqual(sv0, Y.encodeStateVector(o.doc)))
        problems.push(`observer ${i} state vector differs`);
      if (stableJson(materialize(o.doc, productKind, id)) !== json0)
        problems.push(`observer ${i} JSON differs`);
    });
    checks.push(`${observers.length} observers: identical state vectors and JSON`);
    const svMap = Y.decodeStateVector(sv0);
    const behind = writers.filter(
      (w) => (svMap.get(w.doc.clientID) ?? 0) !== Y.getState(w.doc.store, w.doc.clientID),
    );
    if (behind.length > 0) problems.push(`${behind.length} writers' edits missing from observer 0`);
    else checks.push(`observer 0 holds every writer's full history (${writers.length} writers)`);
    fresh = yClient(server, docName);
    const f = fresh;
    if (await waitFor(() => f.provider.synced, 'fresh client synced', 15_000)) {
      if (!stateVectorsEqual(sv0, Y.encodeStateVector(f.doc)))
        problems.push('fresh client state vector differs');
      else if (stableJson(materialize(f.doc, productKind, id)) !== json0)
        problems.push('fresh client JSON differs');
      else checks.push("a fresh client syncs to the same state (server's state = replicas')");
    } else problems.push('fresh client did not sync');
    if (isConcord) {
      const res = await fetch(`http://${HOST}:${server.port}/api/docs/${docName}`, {
        headers: { authorization: `Bearer ${token('bench')}` },
      });
      const body = (await res.json()) as unknown;
      if (stableJson(body) === json0) checks.push('HTTP GET of the server document = replicas');
      else problems.push('HTTP GET of the server document differs');
    }

    const prop = sortNumbers(run.propagationMs);
    const ack = sortNumbers(run.ackMs);
    const throughput = run.completedInWindow / (options.durationMs / 1000);
    const offeredPerS = options.ratePerS ?? null;
    return {
      server: server.kind,
      clients: options.clients,
      durationS: round(elapsedS, 2)!,
      offeredPerS,
      editsSent,
      throughputEditsPerS: round(throughput, 0)!,
      deliveriesPerS: round(throughput * (options.clients - 1 + options.observers), 0)!,
      propagationMs: {
        p50: round(percentile(prop, 50), 2),
        p99: round(percentile(prop, 99), 2),
        max: round(prop.at(-1) ?? null, 2),
        samples: prop.length,
      },
      durableAckMs: isConcord
        ? {
            p50: round(percentile(ack, 50), 2),
            p99: round(percentile(ack, 99), 2),
            max: round(ack.at(-1) ?? null, 2),
            within100msPct: ack.length
              ? round((100 * ack.filter((x) => x <= 100).length) / ack.length, 2)
              : null,
            samples: ack.length,
            unacked,
          }
        : null,
      serverCpuS: round(cpu1 - cpu0, 2)!,
      serverCpuUsPerDelivery: run.completedInWindow
        ? round(
            ((cpu1 - cpu0) * 1e6) /
              (run.completedInWindow * (options.clients - 1 + options.observers)),
            2,
          )
        : null,
      clientCpuS: round((client1.user + client1.system) / 1e6, 2)!,
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
                blockedS: round(seconds, 2)!,
              };
            })()
          : null,
      serverCpuMsPer1kEdits: run.completedInWindow
        ? round(((cpu1 - cpu0) * 1e6) / run.completedInWindow, 1)
        : null,
      closes: run.closes,
      finalStateVector: sv0,
      convergence: { ok: problems.length === 0, checks, problems },
    };
  } finally {
    run.stopping = true;
    run.running = false;
    fresh?.destroy();
    for (const o of observers) o.destroy();
    for (const w of writers) w.destroy();
  }
}
