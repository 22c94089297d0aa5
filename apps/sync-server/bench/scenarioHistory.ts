/**
 * `history`: a product document with a long log (default 100,000 entries: historyLog.ts), served
 * by Concord after a restart; over HTTP, the first page of editing sessions and of single entries,
 * any version (`?at=`, the nearest snapshot and its tail), and blame (first from an empty index,
 * then with one new entry to catch up). Concord only: the other servers keep no history.
 */
import { join } from 'node:path';
import { HOST, median, round, token, withServer, type ServerProcess } from './harness.js';
import { writeLongHistory } from './historyLog.js';
import type { ScenarioContext } from './scenario.js';

const SAMPLES = 20;

async function timed(server: ServerProcess, method: string, path: string, body?: unknown) {
  const t0 = performance.now();
  const res = await fetch(`http://${HOST}:${server.port}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token('bench')}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await res.json()) as Record<string, unknown>;
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return { ms, json };
}

const p95 = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.ceil(values.length * 0.95) - 1]!;

export async function historyScenario(ctx: ScenarioContext): Promise<void> {
  if (!ctx.options.servers.includes('concord')) return;
  const count = ctx.options.quick ? 10_000 : 100_000;
  const dir = ctx.dataDir(`history-${count}`);
  const doc = 'product:history-bench';
  const t0 = performance.now();
  await writeLongHistory(join(dir, 'concord.db'), doc, count);
  const generateS = round((performance.now() - t0) / 1000, 1);
  await withServer('concord', { DATA_DIR: dir }, async (server) => {
    const path = `/api/docs/${doc}`;
    const sessionsCold = await timed(server, 'GET', `${path}/sessions`);
    const problems: string[] = [];
    if ((sessionsCold.json.sessions as unknown[]).length !== 20)
      problems.push('first page is not 20 sessions');
    const sessions: number[] = [];
    const entries: number[] = [];
    const versions: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      sessions.push((await timed(server, 'GET', `${path}/sessions`)).ms);
      entries.push((await timed(server, 'GET', `${path}/history`)).ms);
      const at = 1 + Math.floor(((i + 0.5) / SAMPLES) * (count - 1));
      const version = await timed(server, 'GET', `${path}?at=${at}`);
      versions.push(version.ms);
      if (typeof version.json.name !== 'string') problems.push(`version ${at} has no name`);
    }
    const blameCold = await timed(server, 'GET', `${path}/blame`);
    if (blameCold.json.version !== count) problems.push('blame did not reach the head');
    const blames: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      await timed(server, 'PATCH', path, { priceCents: 500 + i });
      blames.push((await timed(server, 'GET', `${path}/blame`)).ms);
    }
    ctx.record(
      'history',
      { entries: count },
      {
        concord: {
          figures: {
            sessionsColdMs: round(sessionsCold.ms),
            sessionsMs: median(sessions),
            entriesMs: median(entries),
            atMedianMs: median(versions),
            atP95Ms: round(p95(versions)),
            blameFirstMs: round(blameCold.ms),
            blameMs: median(blames),
          },
          converged: problems.length === 0,
          clientBound: false,
          ...(problems.length ? { problems } : {}),
        },
      },
      { generateS },
    );
  });
}
