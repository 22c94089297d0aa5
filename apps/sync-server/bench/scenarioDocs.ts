/**
 * `docs`: many documents open at once (default 5,000 `product:` documents, one connection each
 * from this process, 64 being opened at a time). Each raw client (wire.ts) connects, sends sync
 * step 1, answers the server's step 1, and once it has the server's step 2 makes one small edit
 * (`applyPatch` of the name) and waits for the server's first sign that it holds the edit: its
 * echo of the update (reference, Hocuspocus — Hocuspocus sends its "applied" status right after)
 * or the savedAck covering it (Concord: only after the edit is durably stored).
 *
 * Measured per server: server CPU per document for connect + sync + edit (until every edit is
 * answered, plus 2.5 s so Hocuspocus's debounced stores — 2 s — land in the window) and the share
 * of it on the main thread, RSS per open
 * document + connection ((RSS all open − idle RSS) / N, both after a forced GC), then all clients
 * close, the server unloads what it unloads (Concord after its idle delay, set to 2 s here instead
 * of 30 s; Hocuspocus when a document's last connection closes; the reference never, without
 * persistence), and RSS after a GC as % of the idle RSS. A sample of documents is checked with
 * fresh provider clients while all are open.
 *
 * RSS right after a forced GC still counts heap pages V8 has emptied but not yet returned: it
 * returns them in its own time, by the collections of its memory reducer once the process idles
 * (18 s, 36 s, or not within 45 s after the forced GC in the runs measured). So idle and after are
 * also read once the server has run a full collection of its own after the forced one, and no
 * other for 3 s, with nothing asked of it meanwhile but its counters ("settled": where memory
 * sits); at most `rssSettleMs` (BENCH_RSS_SETTLE_MS, default 100 s, V8's own deadline for the
 * reducer) after the forced GC, and the figures say how long it took.
 */
import * as Y from 'yjs';
import { HybridClock, applyPatch, productKind } from '@concord/shared';
import { docState, freshMatches, verdict } from './checks.js';
import { warmUp } from './clients.js';
import {
  clientMeter,
  mainThreadPct,
  round,
  sleep,
  waitFor,
  withServer,
  type ServerKind,
  type ServerProcess,
  type ServerStats,
} from './harness.js';
import type { ServerResult } from './results.js';
import type { ScenarioContext } from './scenario.js';
import { RawClient } from './wire.js';

const CONCURRENCY = 64;
const UNLOAD_MS = 2_000;
const SETTLE_MS = 2_500;
const CHECKED = 20;
const REMOTE = 'remote';
const MB = 1024 * 1024;

class DocClient {
  readonly doc = new Y.Doc();
  readonly client: RawClient;
  private synced = false;
  private editClock = 0;
  done = false;

  constructor(
    server: ServerProcess,
    readonly docName: string,
    private readonly index: number,
    private readonly onDone: () => void,
  ) {
    this.client = new RawClient(server, docName, `docs-${index}`, (data) => this.onFrame(data));
    this.client.ws.on('open', () => this.client.sendStep1(Y.encodeStateVector(this.doc)));
  }

  private onFrame(data: Buffer): void {
    const e = this.client.parse(data);
    if (e.kind === 'syncStep1') {
      this.client.sendStep2(Y.encodeStateAsUpdate(this.doc, e.stateVector));
    } else if (e.kind === 'syncStep2') {
      Y.applyUpdate(this.doc, e.update, REMOTE);
      if (!this.synced) {
        this.synced = true;
        this.edit();
      }
    } else if (e.kind === 'update') {
      Y.applyUpdate(this.doc, e.update, REMOTE);
      const echoed = Y.parseUpdateMeta(e.update).to.get(this.doc.clientID) ?? 0;
      if (this.editClock > 0 && echoed >= this.editClock) this.finish();
    } else if (e.kind === 'savedAck') {
      const saved = Y.decodeStateVector(e.stateVector).get(this.doc.clientID) ?? 0;
      if (this.editClock > 0 && saved >= this.editClock) this.finish();
    }
  }

  private edit(): void {
    let update: Uint8Array | undefined;
    const capture = (u: Uint8Array) => (update = u);
    this.doc.on('update', capture);
    applyPatch(
      this.doc,
      productKind,
      { name: `Document ${this.index}` },
      { clock: new HybridClock({ replicaId: `docs-${this.index}` }), writer: `docs-${this.index}` },
    );
    this.doc.off('update', capture);
    this.editClock = Y.getState(this.doc.store, this.doc.clientID);
    this.client.sendUpdate(update!);
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.onDone();
  }
}

/** Wait until the server stops unloading: none left, or no change for 3 s after `minMs`. */
async function settleUnloads(server: ServerProcess, minMs: number): Promise<ServerStats> {
  const started = Date.now();
  let stats = await server.stats();
  let lastChange = Date.now();
  while (stats.docs > 0 && Date.now() - started < 120_000) {
    if (Date.now() - started > minMs && Date.now() - lastChange > 3_000) break;
    await sleep(250);
    const next = await server.stats();
    if (next.docs !== stats.docs) lastChange = Date.now();
    stats = next;
  }
  return stats;
}

/**
 * RSS once the server has collected on its own after a forced GC (V8's memory reducer): after the
 * first full collection it starts itself and 3 s without another; at most `maxMs` after the
 * forced one. With how long that took, and whether the server collected at all.
 */
async function settledRss(
  server: ServerProcess,
  maxMs: number,
): Promise<{ rss: number; afterS: number; collected: boolean }> {
  const started = Date.now();
  // The forced collections are reported a moment after the fact: count from after them.
  await sleep(Math.min(2_000, maxMs));
  const forced = (await server.stats()).majorGcs;
  let seen = forced;
  let lastChange = Date.now();
  while (Date.now() - started < maxMs) {
    await sleep(500);
    const now = await server.stats();
    if (now.majorGcs !== seen) {
      seen = now.majorGcs;
      lastChange = Date.now();
    }
    if (seen > forced && Date.now() - lastChange >= 3_000) break;
  }
  const rss = (await server.stats()).rss;
  return { rss, afterS: Math.round((Date.now() - started) / 100) / 10, collected: seen > forced };
}

async function runDocs(server: ServerProcess, n: number, settleMs: number): Promise<ServerResult> {
  const v = verdict();
  await warmUp(server);
  await settleUnloads(server, UNLOAD_MS + 500);
  const idle = await server.gc();
  const idleSettled = await settledRss(server, settleMs);

  const clients: DocClient[] = [];
  const stats0 = await server.stats();
  const meter = clientMeter();
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      let resolve!: () => void;
      const done = new Promise<void>((r) => (resolve = r));
      const c = new DocClient(server, `product:docs-${i}`, i, resolve);
      clients.push(c);
      const timer = setTimeout(resolve, 30_000);
      await done;
      clearTimeout(timer);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, n) }, worker));
  const openMs = performance.now() - t0;
  const client = meter();
  const failed = clients.filter((c) => !c.done).length;
  if (failed > 0) v.problems.push(`${failed} of ${n} documents never answered the edit`);
  else v.checks.push(`all ${n} edits answered`);
  await sleep(SETTLE_MS);
  const stats1 = await server.stats();
  const open = await server.gc();

  for (let j = 0; j < Math.min(CHECKED, n); j++) {
    const c = clients[Math.floor((j * n) / Math.min(CHECKED, n))]!;
    await freshMatches(server, c.docName, docState(c.doc, c.docName), v);
  }

  for (const c of clients) c.client.close();
  await waitFor(() => clients.every((c) => c.client.closed), 'all document clients closed', 30_000);
  const unloaded = await settleUnloads(server, UNLOAD_MS + 1_000);
  const after = await server.gc();
  for (const c of clients) c.doc.destroy();
  const afterSettled = await settledRss(server, settleMs);
  return {
    figures: {
      cpuMsPerDoc: round(((stats1.cpuS - stats0.cpuS) * 1000) / n, 3),
      mainThreadPct: mainThreadPct(stats0, stats1),
      openMs: round(openMs, 0),
      docsPerS: round(n / (openMs / 1000), 0),
      idleRssMB: round(idle.rss / MB, 1),
      openRssMB: round(open.rss / MB, 1),
      rssPerDocKB: round((open.rss - idle.rss) / n / 1024, 2),
      docsLoadedOpen: open.docs,
      afterRssMB: round(after.rss / MB, 1),
      rssAfterPctOfIdle: round((100 * after.rss) / idle.rss, 1),
      idleSettledRssMB: round(idleSettled.rss / MB, 1),
      afterSettledRssMB: round(afterSettled.rss / MB, 1),
      rssSettledPctOfIdle: round((100 * afterSettled.rss) / idleSettled.rss, 1),
      idleSettledAfterS: idleSettled.afterS,
      afterSettledAfterS: afterSettled.afterS,
      // 1: the server collected on its own before the reading (0: the deadline came first).
      idleSettledByGc: idleSettled.collected ? 1 : 0,
      afterSettledByGc: afterSettled.collected ? 1 : 0,
      idleHeapMB: round(idle.heapUsed / MB, 1),
      openHeapMB: round(open.heapUsed / MB, 1),
      afterHeapMB: round(after.heapUsed / MB, 1),
      docsLoadedAfter: unloaded.docs,
      clientCpuPct: client.pct,
    },
    converged: v.ok,
    clientBound: client.bound,
    ...(v.ok ? {} : { problems: v.problems }),
  };
}

export async function docsScenario(ctx: ScenarioContext): Promise<void> {
  const n = ctx.options.docs;
  const concordConfig = {
    idleUnloadMs: UNLOAD_MS,
    // Every client connects from 127.0.0.1: above 5,000 documents the per-address limit (6,000
    // upgrades a minute) would refuse some.
    ...(n > 5_000 ? { rateLimitPerAddressPerMinute: 2 * n } : {}),
  };
  const servers: Partial<Record<ServerKind, ServerResult>> = {};
  for (const kind of ctx.options.servers) {
    const env: Record<string, string> = { DATA_DIR: ctx.dataDir(`docs-${kind}`) };
    if (kind === 'concord') env.CONCORD_CONFIG = JSON.stringify(concordConfig);
    const r = (servers[kind] = await withServer(kind, env, (server) =>
      runDocs(server, n, ctx.options.rssSettleMs),
    ));
    console.log(
      `docs ${n}, ${kind}: ${JSON.stringify(r.figures)}${r.clientBound ? ' (CLIENT-BOUND)' : ''}, converged: ${r.converged}`,
    );
  }
  ctx.record('docs', { docs: n }, servers, {
    concordIdleUnloadMs: UNLOAD_MS,
    rssSettleMs: ctx.options.rssSettleMs,
  });
}
