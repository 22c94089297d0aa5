/**
 * `fixed`: the fan-out set-up (fanout.ts) at a moderate, fixed offered load that saturates no
 * server — by default 1 document × 50 writers at 100 edits/s and 1 × 200 at 40 edits/s, 3
 * observers — each server in a fresh process. Headline: server CPU per delivered update (edits ×
 * recipients); also propagation latency and, for Concord, the durable-ack latency.
 *
 * A third run (`50:100:100000`) writes into a document that already holds 100,000 updates (the
 * cold-load history, coldload.ts: an 867 KB state), stored as each server stores it — Concord's
 * raw log, Hocuspocus's merged state, the reference's preload — so that its figures, next to the
 * first run's, show whether an update costs more in a large document. (Concord's copy has no
 * blame index: a compaction in the window would build it from the whole log, ~0.5 s once; at
 * this load none is due within 10 s, SPEC SNAP1.)
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { warmUp } from './clients.js';
import { writeHistory, writeHocuspocusState, type History } from './coldload.js';
import { fanout, type FanoutResult } from './fanout.js';
import { round, withServer, type ServerKind } from './harness.js';
import type { ServerResult } from './results.js';
import type { ScenarioContext } from './scenario.js';

/** The figures of one fan-out run, as recorded. */
export function fanoutServerResult(res: FanoutResult): ServerResult {
  return {
    figures: {
      offeredPerS: res.offeredPerS,
      throughputEditsPerS: res.throughputEditsPerS,
      deliveredPctOfOffered: res.offeredPerS
        ? round((100 * res.throughputEditsPerS) / res.offeredPerS, 1)
        : null,
      deliveriesPerS: res.deliveriesPerS,
      editsSent: res.editsSent,
      serverCpuS: res.serverCpuS,
      cpuUsPerDelivery: res.serverCpuUsPerDelivery,
      mainThreadPct: res.serverMainThreadPct,
      cpuMsPer1kEdits: res.serverCpuMsPer1kEdits,
      propagationP50Ms: res.propagationMs.p50,
      propagationP99Ms: res.propagationMs.p99,
      propagationMaxMs: res.propagationMs.max,
      ackP50Ms: res.durableAckMs?.p50 ?? null,
      ackP99Ms: res.durableAckMs?.p99 ?? null,
      ackWithin100Pct: res.durableAckMs?.within100msPct ?? null,
      clientCpuPct: res.clientCpuPct,
    },
    converged: res.convergence.ok,
    clientBound: res.clientBound,
    ...(res.convergence.ok ? {} : { problems: res.convergence.problems }),
  };
}

export function describeFanout(label: string, kind: ServerKind, res: FanoutResult): string {
  return (
    `${label}, ${kind}: ${res.throughputEditsPerS} edits/s delivered, ` +
    `${res.serverCpuUsPerDelivery} µs server CPU per delivered update` +
    (res.serverMainThreadPct === null ? '' : ` (${res.serverMainThreadPct}% on its main thread)`) +
    `, propagation p50 ` +
    `${res.propagationMs.p50} p99 ${res.propagationMs.p99} ms` +
    (res.durableAckMs
      ? `, ack p50 ${res.durableAckMs.p50} p99 ${res.durableAckMs.p99} ms (${res.durableAckMs.within100msPct}% ≤ 100 ms)`
      : '') +
    `, client CPU ${res.clientCpuPct}%${res.clientBound ? ' (CLIENT-BOUND)' : ''}` +
    `, converged: ${res.convergence.ok}`
  );
}

/** A document's history, written once, that each server is given in its own storage format. */
interface Prefill {
  readonly history: History;
  /** Concord's SQLite store holding it (copied for Concord, preloaded by the reference). */
  readonly db: string;
}

async function prefill(ctx: ScenarioContext, docName: string, updates: number): Promise<Prefill> {
  const db = join(ctx.dataDir(`${docName.split(':')[1]}-history-${updates}`), 'source.db');
  return { history: await writeHistory(db, docName, updates), db };
}

/** Where `kind` finds `prefilled` in `dataDir`, and the environment saying so. */
function placePrefill(
  kind: ServerKind,
  dataDir: string,
  prefilled: Prefill,
): Record<string, string> {
  if (kind === 'reference')
    return { PRELOAD_DB: prefilled.db, PRELOAD_DOC: prefilled.history.docName };
  if (kind === 'hocuspocus')
    writeHocuspocusState(join(dataDir, 'hocuspocus.sqlite'), prefilled.history);
  else copyFileSync(prefilled.db, join(dataDir, 'concord.db'));
  return {};
}

/**
 * One open-loop run (`rate` edits/s offered by `clients` writers) on a fresh server of `kind`,
 * into `docName` — which, with `prefilled`, holds that history already.
 */
export async function runAtRate(
  ctx: ScenarioContext,
  label: string,
  kind: ServerKind,
  clients: number,
  rate: number,
  prefilled?: Prefill,
): Promise<FanoutResult> {
  const history = prefilled ? `-history-${prefilled.history.updates}` : '';
  const dataDir = ctx.dataDir(`${label}-${clients}-at-${rate}${history}-${kind}`);
  const env = prefilled ? placePrefill(kind, dataDir, prefilled) : {};
  const docName = prefilled?.history.docName ?? `product:${label}-${clients}`;
  const load = (durationMs: number) => ({
    clients,
    durationMs,
    observers: ctx.options.observers,
    window: Number.MAX_SAFE_INTEGER,
    ratePerS: rate,
  });
  const res = await withServer(kind, { DATA_DIR: dataDir, ...env }, async (server) => {
    await warmUp(server);
    // A server runs for days: the same load on another document first, so that what is measured
    // is the steady state, not the first seconds' compilation of the write path.
    const warmupMs = ctx.options.fixedWarmupMs;
    if (warmupMs > 0) await fanout(server, `product:${label}-${clients}-warmup`, load(warmupMs));
    return fanout(server, docName, load(ctx.options.durationMs));
  });
  delete res.finalStateVector;
  ctx.detail(label, res);
  return res;
}

export async function fixedScenario(ctx: ScenarioContext): Promise<void> {
  for (const [clients, rate, history = 0] of ctx.options.fixed) {
    const servers: Partial<Record<ServerKind, ServerResult>> = {};
    const prefilled =
      history > 0
        ? await prefill(ctx, `product:fixed-large-${clients}-at-${rate}`, history)
        : undefined;
    const label = `fixed ${clients} writers @ ${rate}/s${history ? ` on ${history} updates` : ''}`;
    for (const kind of ctx.options.servers) {
      const res = await runAtRate(ctx, 'fixed', kind, clients, rate, prefilled);
      // At a load meant to saturate nothing, delivering < 95 % of it flags the run as well.
      res.clientBound ||= res.throughputEditsPerS < 0.95 * rate;
      console.log(describeFanout(label, kind, res));
      servers[kind] = fanoutServerResult(res);
    }
    ctx.record(
      'fixed',
      {
        clients,
        ratePerS: rate,
        ...(history ? { history } : {}),
        durationMs: ctx.options.durationMs,
        warmupMs: ctx.options.fixedWarmupMs,
        observers: ctx.options.observers,
      },
      servers,
    );
  }
}
