/**
 * `coldload`: per history length (default 20,000 and 100,000 updates), one product document's
 * history is generated once (coldload.ts) and given to each server in its own storage format:
 * - concord: the log as appended, never compacted (cold on the raw log); then, after a restart,
 *   cold again on the store as the server left it (it compacts a long tail on load); warm
 *   (document in memory) median of 5;
 * - reference: no persistence, so its process applies the same log update by update before
 *   listening (preload time reported, not counted): every client finds the document in memory;
 * - hocuspocus: the final state in its SQLite extension's `documents` table; cold = the first
 *   client loads it; warm median of 5 with one other client holding the document open (it
 *   unloads a document when its last connection closes).
 * Measured: a fresh provider client, construction → initial sync, content checked each time.
 */
import { join } from 'node:path';
import { warmUp, yClient } from './clients.js';
import {
  freshSync,
  storedShape,
  writeHistory,
  writeHocuspocusState,
  type History,
  type SyncSample,
} from './coldload.js';
import { median, round, waitFor, withServer, type ServerKind } from './harness.js';
import type { ServerResult } from './results.js';
import type { ScenarioContext } from './scenario.js';

const WARM_SAMPLES = 5;

function result(figures: ServerResult['figures'], samples: readonly SyncSample[]): ServerResult {
  const problems = samples.filter((s) => !s.ok).map((s) => s.problem ?? 'content differs');
  return {
    figures,
    converged: problems.length === 0,
    clientBound: false,
    ...(problems.length ? { problems } : {}),
  };
}

async function samples(n: number, take: () => Promise<SyncSample>): Promise<SyncSample[]> {
  const out: SyncSample[] = [];
  for (let i = 0; i < n; i++) out.push(await take());
  return out;
}

async function coldReference(db: string, history: History): Promise<ServerResult> {
  return withServer(
    'reference',
    { PRELOAD_DB: db, PRELOAD_DOC: history.docName },
    async (server) => {
      await warmUp(server);
      const all = await samples(1 + WARM_SAMPLES, () => freshSync(server, history));
      return result(
        {
          coldMs: round(all[0]!.ms),
          warmMedianMs: median(all.slice(1).map((s) => s.ms)),
          preloadMs: round(server.info.preloadMs as number, 0),
        },
        all,
      );
    },
  );
}

async function coldHocuspocus(dir: string, history: History): Promise<ServerResult> {
  return withServer('hocuspocus', { DATA_DIR: dir }, async (server) => {
    await warmUp(server);
    const cold = await freshSync(server, history);
    const holder = yClient(server, history.docName);
    try {
      await waitFor(() => holder.synced(), 'holder synced', 30_000);
      const warm = await samples(WARM_SAMPLES, () => freshSync(server, history));
      return result({ coldMs: round(cold.ms), warmMedianMs: median(warm.map((s) => s.ms)) }, [
        cold,
        ...warm,
      ]);
    } finally {
      holder.destroy();
    }
  });
}

async function coldConcord(dir: string, db: string, history: History): Promise<ServerResult> {
  // 1: the log exactly as appended (no snapshot): the first client's connection loads it.
  const raw = await withServer('concord', { DATA_DIR: dir }, async (server) => {
    await warmUp(server);
    const cold = await freshSync(server, history);
    return { cold, warm: await samples(WARM_SAMPLES, () => freshSync(server, history)) };
  });
  const afterFirst = await storedShape(db, history.docName);
  // 2: restart on the store as the server left it.
  const compacted = await withServer('concord', { DATA_DIR: dir }, async (server) => {
    await warmUp(server);
    return freshSync(server, history);
  });
  return result(
    {
      coldMs: round(raw.cold.ms),
      coldCompactedMs: round(compacted.ms),
      warmMedianMs: median(raw.warm.map((s) => s.ms)),
      snapshotSeq: afterFirst.snapshotSeq,
      tailAfterCompaction: afterFirst.tail,
    },
    [raw.cold, ...raw.warm, compacted],
  );
}

export async function coldloadScenario(ctx: ScenarioContext): Promise<void> {
  for (const length of ctx.options.history) {
    const dir = ctx.dataDir(`cold-load-${length}`);
    const db = join(dir, 'concord.db');
    const docName = `product:cold-load-${length}`;
    const history = await writeHistory(db, docName, length);
    writeHocuspocusState(join(dir, 'hocuspocus.sqlite'), history);
    console.log(
      `cold load: ${history.updates} updates (${history.logBytes} bytes logged, ${history.stateBytes} bytes as one state) generated in ${history.generateMs} ms`,
    );
    const servers: Partial<Record<ServerKind, ServerResult>> = {};
    for (const kind of ctx.options.servers) {
      servers[kind] =
        kind === 'reference'
          ? await coldReference(db, history)
          : kind === 'hocuspocus'
            ? await coldHocuspocus(dir, history)
            : await coldConcord(dir, db, history);
      const r = servers[kind];
      console.log(
        `cold load ${length}, ${kind}: ${JSON.stringify(r.figures)}, content identical: ${r.converged}`,
      );
    }
    ctx.record('coldload', { history: length }, servers, {
      updates: history.updates,
      logBytes: history.logBytes,
      stateBytes: history.stateBytes,
    });
  }
}
