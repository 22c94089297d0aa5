/**
 * `npm run bench`: Concord's sync server against the reference relay `@y/websocket-server` 0.1.1
 * and Hocuspocus 3.4.4 (+ its SQLite extension), each in its own child process, in one run.
 * Scenarios (one file each): fixed, fanout, docs, burst, coldload, storm, history — see
 * bench/README.md.
 * Appends one JSON line per scenario result to bench/results/results.jsonl, rewrites the README's
 * "Latest results" table, writes details to bench/results/latest-run.jsonl (gitignored). Exit code 1
 * only when a convergence or content check failed.
 *
 * Environment: BENCH_QUICK=1 (small sizes), BENCH_SCENARIOS=fixed,fanout,docs,burst,coldload,storm,
 * BENCH_SERVERS=concord,reference,hocuspocus, BENCH_CLIENTS, BENCH_DURATION_MS, BENCH_WINDOW,
 * BENCH_FIXED, BENCH_WARMUP_MS, BENCH_HISTORY, BENCH_DOCS, BENCH_RSS_SETTLE_MS, BENCH_BURSTS, BENCH_BURST_WINDOW, BENCH_STORM, BENCH_PIN=0, BENCH_KEEP=1,
 * BENCH_PROFILE_DIR, BENCH_CONCORD_CONFIG (JSON), BENCH_RECORD=0 (a trial: record nothing, leave
 * the README alone).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverErrors } from './clients.js';
import { pin, SERVER_KINDS, type ServerKind } from './harness.js';
import {
  BENCH_DIR,
  RESULTS_FILE,
  appendResult,
  gitRevision,
  resultLine,
  type ResultLine,
} from './results.js';
import { makeDataDir, type BenchOptions, type ScenarioContext } from './scenario.js';
import { burstScenario } from './scenarioBurst.js';
import { coldloadScenario } from './scenarioColdload.js';
import { docsScenario } from './scenarioDocs.js';
import { fanoutScenario } from './scenarioFanout.js';
import { historyScenario } from './scenarioHistory.js';
import { fixedScenario } from './scenarioFixed.js';
import { stormScenario } from './scenarioStorm.js';
import { renderTable, writeTable } from './table.js';

const SCENARIOS: Record<string, (ctx: ScenarioContext) => Promise<void>> = {
  fixed: fixedScenario,
  fanout: fanoutScenario,
  docs: docsScenario,
  burst: burstScenario,
  coldload: coldloadScenario,
  storm: stormScenario,
  history: historyScenario,
};

const env = process.env;
const quick = env.BENCH_QUICK === '1';
const keep = env.BENCH_RECORD !== '0';
const list = (value: string | undefined, fallback: string) => (value || fallback).split(',');
const numbers = (value: string | undefined, fallback: string) => list(value, fallback).map(Number);
const options: BenchOptions = {
  quick,
  servers: list(env.BENCH_SERVERS, SERVER_KINDS.join(',')) as ServerKind[],
  clients: numbers(env.BENCH_CLIENTS, quick ? '10,20' : '50,200'),
  durationMs: Number(env.BENCH_DURATION_MS || (quick ? 2_000 : 10_000)),
  window: Number(env.BENCH_WINDOW || 1),
  observers: 3,
  fixedWarmupMs: Number(env.BENCH_WARMUP_MS ?? (quick ? 1_000 : 5_000)),
  fixed: list(
    env.BENCH_FIXED,
    quick ? '10:100,20:40,10:100:10000' : '50:100,200:40,50:100:100000',
  ).map((p) => p.split(':').map(Number) as [number, number, number?]),
  history: numbers(env.BENCH_HISTORY, quick ? '2000,10000' : '20000,100000'),
  docs: Number(env.BENCH_DOCS || (quick ? 500 : 5_000)),
  rssSettleMs: Number(env.BENCH_RSS_SETTLE_MS ?? (quick ? 10_000 : 100_000)),
  bursts: numbers(env.BENCH_BURSTS, quick ? '2000,10000' : '20000,100000'),
  storm: Number(env.BENCH_STORM || (quick ? 50 : 200)),
  stormEdits: 5,
};
const scenarios = list(env.BENCH_SCENARIOS, Object.keys(SCENARIOS).join(','));
for (const s of scenarios) if (!SCENARIOS[s]) throw new Error(`unknown scenario "${s}"`);
for (const k of options.servers)
  if (!SERVER_KINDS.includes(k)) throw new Error(`unknown server "${k}"`);

pin(process.pid, 1);
// Every y-websocket provider registers a process 'exit' handler; hundreds of clients are expected.
process.setMaxListeners(0);
const root = mkdtempSync(join(tmpdir(), 'concord-bench-'));
const revision = gitRevision();
console.log(
  `Concord sync-server benchmark — ${cpus().length} CPUs, Node ${process.version}, commit ${revision.commit}${revision.dirty ? ' (dirty)' : ''}; data in ${root}\n` +
    `scenarios: ${scenarios.join(', ')}; options: ${JSON.stringify(options)}\n`,
);

const recorded: ResultLine[] = [];
const details: Record<string, unknown[]> = {};
const problems: string[] = [];
const ctx: ScenarioContext = {
  options,
  dataDir: (label) => makeDataDir(root, label),
  record(scenario, params, servers, info) {
    const line = resultLine(quick, scenario, params, servers, info);
    if (keep) appendResult(line);
    recorded.push(line);
    for (const [kind, r] of Object.entries(servers))
      if (!r.converged)
        problems.push(
          `${scenario} ${JSON.stringify(params)} ${kind}: ${(r.problems ?? ['not converged']).join('; ')}`,
        );
  },
  detail(scenario, value) {
    (details[scenario] ??= []).push(value);
  },
};

const started = performance.now();
for (const name of scenarios) {
  console.log(`\n== ${name}`);
  try {
    await SCENARIOS[name]!(ctx);
  } catch (error) {
    // A scenario that cannot run is a failed check, not a reason to skip the others.
    problems.push(
      `${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    console.error(`scenario ${name} failed:`, error);
  }
}

const table = keep ? writeTable() : renderTable(recorded);
console.log(`\n${table}\n`);
if (serverErrors.length > 0)
  console.log(
    `error events (type 101) received by clients: ${serverErrors.length}, e.g.\n  ${[...new Set(serverErrors)].slice(0, 5).join('\n  ')}`,
  );
if (problems.length > 0) console.log(`\nPROBLEMS:\n  ${problems.join('\n  ')}`);
// Everything this run measured, one JSON line each (gitignored; .jsonl, which Prettier skips).
mkdirSync(join(BENCH_DIR, 'results'), { recursive: true });
writeFileSync(
  join(BENCH_DIR, 'results/latest-run.jsonl'),
  [
    { options, scenarios, problems, serverErrors: [...new Set(serverErrors)] },
    ...recorded,
    ...Object.entries(details).flatMap(([scenario, values]) =>
      values.map((detail) => ({ scenario, detail })),
    ),
  ]
    .map((x) => `${JSON.stringify(x)}\n`)
    .join(''),
);
console.log(
  `\n${keep ? `${recorded.length} results appended to ${RESULTS_FILE}; README table rewritten` : 'BENCH_RECORD=0: nothing recorded'}; ${Math.round((performance.now() - started) / 1000)} s`,
);
if (env.BENCH_KEEP !== '1') rmSync(root, { recursive: true, force: true });
process.exit(problems.length > 0 ? 1 : 0);
