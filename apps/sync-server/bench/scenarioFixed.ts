/**
 * `fixed`: the fan-out set-up (fanout.ts) at a moderate, fixed offered load that saturates no
 * server — by default 1 document × 50 writers at 100 edits/s and 1 × 200 at 40 edits/s, 3
 * observers — each server in a fresh process. Headline: server CPU per delivered update (edits ×
 * recipients); also propagation latency and, for Concord, the durable-ack latency.
 */
import { warmUp } from './clients.js';
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
    `${res.serverCpuUsPerDelivery} µs server CPU per delivered update, propagation p50 ` +
    `${res.propagationMs.p50} p99 ${res.propagationMs.p99} ms` +
    (res.durableAckMs
      ? `, ack p50 ${res.durableAckMs.p50} p99 ${res.durableAckMs.p99} ms (${res.durableAckMs.within100msPct}% ≤ 100 ms)`
      : '') +
    `, client CPU ${res.clientCpuPct}%${res.clientBound ? ' (CLIENT-BOUND)' : ''}` +
    `, converged: ${res.convergence.ok}`
  );
}

/** One open-loop run (`rate` edits/s offered by `clients` writers) on a fresh server of `kind`. */
export async function runAtRate(
  ctx: ScenarioContext,
  label: string,
  kind: ServerKind,
  clients: number,
  rate: number,
): Promise<FanoutResult> {
  const dataDir = ctx.dataDir(`${label}-${clients}-${kind}`);
  const load = (durationMs: number) => ({
    clients,
    durationMs,
    observers: ctx.options.observers,
    window: Number.MAX_SAFE_INTEGER,
    ratePerS: rate,
  });
  const res = await withServer(kind, { DATA_DIR: dataDir }, async (server) => {
    await warmUp(server);
    // A server runs for days: the same load on another document first, so that what is measured
    // is the steady state, not the first seconds' compilation of the write path.
    const warmupMs = ctx.options.fixedWarmupMs;
    if (warmupMs > 0) await fanout(server, `product:${label}-${clients}-warmup`, load(warmupMs));
    return fanout(server, `product:${label}-${clients}`, load(ctx.options.durationMs));
  });
  delete res.finalStateVector;
  ctx.detail(label, res);
  return res;
}

export async function fixedScenario(ctx: ScenarioContext): Promise<void> {
  for (const [clients, rate] of ctx.options.fixed) {
    const servers: Partial<Record<ServerKind, ServerResult>> = {};
    for (const kind of ctx.options.servers) {
      const res = await runAtRate(ctx, 'fixed', kind, clients, rate);
      // At a load meant to saturate nothing, delivering < 95 % of it flags the run as well.
      res.clientBound ||= res.throughputEditsPerS < 0.95 * rate;
      console.log(describeFanout(`fixed ${clients} writers @ ${rate}/s`, kind, res));
      servers[kind] = fanoutServerResult(res);
    }
    ctx.record(
      'fixed',
      {
        clients,
        ratePerS: rate,
        durationMs: ctx.options.durationMs,
        warmupMs: ctx.options.fixedWarmupMs,
        observers: ctx.options.observers,
      },
      servers,
    );
  }
}
