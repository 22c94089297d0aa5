/**
 * `storm`: a reconnect storm. N real provider clients (default 200) sync one product document,
 * all disconnect, each makes 5 edits offline (stock +1 each, its own transactions), then all
 * reconnect at once — in one loop — and resync as their provider does (sync step 1/2 exchange
 * carrying the offline edits). Measured: time from the reconnect until every client holds every
 * client's edits, and server CPU over that time. Checked: all replicas identical, stock = N × 5,
 * and, once all have left, a fresh client syncs to the same state. Servers keep their defaults: Hocuspocus stores and
 * unloads the document when the last client leaves, so the storm reloads it from SQLite.
 */
import * as Y from 'yjs';
import { HybridClock, applyPatch, materialize, productKind } from '@concord/shared';
import { compareReplicas, freshMatches, verdict } from './checks.js';
import { warmUp, yClient, type YClient } from './clients.js';
import {
  clientMeter,
  round,
  sleep,
  waitFor,
  withServer,
  type ServerKind,
  type ServerProcess,
} from './harness.js';
import type { ServerResult } from './results.js';
import type { ScenarioContext } from './scenario.js';

const DOC = 'product:storm';

/** Does `doc` hold every client's edits up to `target`? */
function covers(doc: Y.Doc, target: ReadonlyMap<number, number>): boolean {
  for (const [client, clock] of target) if (Y.getState(doc.store, client) < clock) return false;
  return true;
}

async function runStorm(server: ServerProcess, n: number, edits: number): Promise<ServerResult> {
  const v = verdict();
  await warmUp(server);
  const clients: YClient[] = [];
  try {
    // One user for up to 200 clients (Concord's per-user connection limit): providers echo each
    // other's awareness, which Concord refuses across users.
    for (let i = 0; i < n; i++) clients.push(yClient(server, DOC, `storm-${Math.floor(i / 200)}`));
    if (!(await waitFor(() => clients.every((c) => c.synced()), `${n} clients synced`, 60_000)))
      throw new Error('storm clients could not sync');
    const first = clients[0]!;
    const writer = (i: number) => ({
      clock: new HybridClock({ replicaId: `storm-${i}` }),
      writer: `storm-${i}`,
    });
    applyPatch(first.doc, productKind, { name: 'Reconnect storm' }, writer(0));
    const created = new Map([
      [first.doc.clientID, Y.getState(first.doc.store, first.doc.clientID)],
    ]);
    await waitFor(
      () => clients.every((c) => covers(c.doc, created)),
      'the product everywhere',
      30_000,
    );

    for (const c of clients) c.disconnect();
    await waitFor(() => clients.every((c) => !c.connected()), 'all clients disconnected', 30_000);
    await sleep(1_000); // the server handles the closes (Hocuspocus stores and unloads)
    clients.forEach((c, i) => {
      const ctx = writer(i);
      for (let k = 0; k < edits; k++) applyPatch(c.doc, productKind, { stock: { delta: 1 } }, ctx);
    });
    const target = new Map(
      clients.map((c) => [c.doc.clientID, Y.getState(c.doc.store, c.doc.clientID)]),
    );

    const cpu0 = await server.cpuSeconds();
    const meter = clientMeter();
    const t0 = performance.now();
    for (const c of clients) c.connect();
    const pending = new Set(clients);
    const converged = await waitFor(
      () => {
        for (const c of pending) if (covers(c.doc, target)) pending.delete(c);
        return pending.size === 0;
      },
      'all clients converged after the storm',
      180_000,
      10,
    );
    const convergeMs = performance.now() - t0;
    const cpu1 = await server.cpuSeconds();
    const client = meter();
    if (!converged) v.problems.push(`${pending.size} of ${n} clients never received every edit`);

    const state = compareReplicas(
      clients.map((c) => c.doc),
      DOC,
      v,
      'clients',
    );
    const stock = (materialize(first.doc, productKind, 'storm') as { stock: number }).stock;
    if (stock === n * edits) v.checks.push(`stock = ${stock} = ${n} × ${edits} offline edits`);
    else v.problems.push(`stock ${stock} != ${n * edits}`);
    // All leave (Hocuspocus stores and unloads the document), then a newcomer must get it all.
    for (const c of clients.splice(0)) c.destroy();
    await sleep(500);
    await freshMatches(server, DOC, state, v, 'storm-0');
    return {
      figures: {
        convergeMs: round(convergeMs, 0),
        serverCpuMs: round((cpu1 - cpu0) * 1000, 0),
        clientCpuPct: client.pct,
      },
      converged: v.ok,
      clientBound: client.bound,
      ...(v.ok ? {} : { problems: v.problems }),
    };
  } finally {
    for (const c of clients) c.destroy();
  }
}

export async function stormScenario(ctx: ScenarioContext): Promise<void> {
  const { storm: n, stormEdits: edits } = ctx.options;
  const servers: Partial<Record<ServerKind, ServerResult>> = {};
  for (const kind of ctx.options.servers) {
    const env = { DATA_DIR: ctx.dataDir(`storm-${kind}`) };
    const r = (servers[kind] = await withServer(kind, env, (server) => runStorm(server, n, edits)));
    console.log(
      `storm ${n} clients × ${edits} offline edits, ${kind}: ${JSON.stringify(r.figures)}${r.clientBound ? ' (CLIENT-BOUND)' : ''}, converged: ${r.converged}`,
    );
  }
  ctx.record('storm', { clients: n, offlineEdits: edits }, servers);
}
