/**
 * `fanout`: closed loop (saturation). Per writer count: each server with `window` edits in flight
 * per writer for the duration (fanout.ts), then — "paced" — each server again at a fixed offered
 * load equal to the reference's saturated throughput (latency at a load all can carry). Concord's
 * closed-loop run also checks that its SQLite log alone rebuilds the replicas' state after
 * shutdown.
 */
import { join } from 'node:path';
import { warmUp } from './clients.js';
import { storedShape } from './coldload.js';
import { fanout, type FanoutResult } from './fanout.js';
import { stateVectorsEqual, withServer, type ServerKind } from './harness.js';
import type { ServerResult } from './results.js';
import type { ScenarioContext } from './scenario.js';
import { describeFanout, fanoutServerResult, runAtRate } from './scenarioFixed.js';

async function closedLoop(
  ctx: ScenarioContext,
  kind: ServerKind,
  clients: number,
): Promise<FanoutResult> {
  const dataDir = ctx.dataDir(`fanout-${clients}-${kind}`);
  const docName = `product:fanout-${clients}`;
  const result = await withServer(kind, { DATA_DIR: dataDir }, async (server) => {
    await warmUp(server);
    return fanout(server, docName, {
      clients,
      durationMs: ctx.options.durationMs,
      observers: ctx.options.observers,
      window: ctx.options.window,
    });
  });
  if (kind === 'concord') {
    const stored = await storedShape(join(dataDir, 'concord.db'), docName);
    const v = result.convergence;
    if (result.finalStateVector && stateVectorsEqual(stored.stateVector, result.finalStateVector))
      v.checks.push(
        `after shutdown the SQLite log (snapshot ${stored.snapshotSeq ?? 'none'} + ${stored.tail} entries) rebuilds the same state`,
      );
    else v.problems.push('the SQLite log does not rebuild the replicas’ state');
  }
  delete result.finalStateVector;
  ctx.detail('fanout', result);
  return result;
}

export async function fanoutScenario(ctx: ScenarioContext): Promise<void> {
  const { options } = ctx;
  const params = { window: options.window, durationMs: options.durationMs };
  for (const clients of options.clients) {
    const closed: Partial<Record<ServerKind, FanoutResult>> = {};
    for (const kind of options.servers) {
      closed[kind] = await closedLoop(ctx, kind, clients);
      console.log(describeFanout(`fan-out ${clients} writers, closed loop`, kind, closed[kind]));
    }
    ctx.record('fanout', { clients, mode: 'closed', ...params }, mapResults(closed));

    const rate = closed.reference?.throughputEditsPerS;
    if (!rate) continue; // paced runs need the reference's saturated throughput
    const paced: Partial<Record<ServerKind, FanoutResult>> = {};
    for (const kind of options.servers) {
      paced[kind] = await runAtRate(ctx, 'paced', kind, clients, rate);
      console.log(describeFanout(`paced ${clients} writers @ ${rate}/s`, kind, paced[kind]));
    }
    ctx.record('fanout', { clients, mode: 'paced', ...params }, mapResults(paced));
  }
}

function mapResults(
  results: Partial<Record<ServerKind, FanoutResult>>,
): Partial<Record<ServerKind, ServerResult>> {
  return Object.fromEntries(
    Object.entries(results).map(([kind, res]) => [kind, fanoutServerResult(res)]),
  );
}
