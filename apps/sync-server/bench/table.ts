/**
 * The "Latest results" table of bench/README.md, regenerated from bench/results/results.jsonl:
 * for each scenario and parameter set, the latest run's figures per server, Concord's ratios to
 * the others and the targets (met / missed). Full runs hide quick ones (BENCH_QUICK=1) of the same
 * scenario. Runs at the end of run.ts; alone: `node apps/sync-server/dist/bench/table.js`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { round, stableJson, type ServerKind } from './harness.js';
import { BENCH_DIR, RESULTS_FILE, type Figure, type ResultLine } from './results.js';

const README = join(BENCH_DIR, 'README.md');
const START = '<!-- bench:table:start -->';
const END = '<!-- bench:table:end -->';
const KINDS: readonly ServerKind[] = ['concord', 'reference', 'hocuspocus'];

type Params = ResultLine['params'];

interface Target {
  readonly text: string;
  /** Concord's value at most `max` (or below `below`), or its ratio to the reference at most `ratio`. */
  readonly max?: number;
  readonly below?: number;
  readonly ratio?: number;
  readonly when?: (params: Params) => boolean;
}

interface Metric {
  readonly key: string;
  readonly label: string;
  /** The others' figure Concord is compared with, when it is not the same key. */
  readonly versus?: string;
  /** No ratio columns (a count, a percentage). */
  readonly plain?: boolean;
  readonly target?: Target;
}

interface Scenario {
  readonly title: (p: Params) => string;
  readonly metrics: readonly Metric[];
}

const ackP99: Metric = {
  key: 'ackP99Ms',
  label: 'durable ack p99 (ms)',
  target: { text: '< 50 ms at 200 writers', below: 50, when: (p) => p.clients === 200 },
};
const cold100k = (p: Params) => p.history === 100_000;

const SCENARIOS: Record<string, Scenario> = {
  history: {
    title: (p) => `history of ${p.entries} entries (Concord only)`,
    metrics: [
      { key: 'sessionsColdMs', label: 'first page of sessions, first request after start (ms)' },
      {
        key: 'sessionsMs',
        label: 'first page of sessions (ms, median)',
        target: { text: '< 200 ms', below: 200 },
      },
      { key: 'entriesMs', label: 'first page of entries (ms, median)' },
      {
        key: 'atP95Ms',
        label: 'any version ?at= (ms, p95)',
        target: { text: '< 200 ms', below: 200 },
      },
      { key: 'blameFirstMs', label: 'blame, index built from the whole log (ms)' },
      {
        key: 'blameMs',
        label: 'blame after one new entry (ms, median)',
        target: { text: '< 50 ms', below: 50 },
      },
    ],
  },
  fixed: {
    title: (p) =>
      `fixed ${p.clients} writers @ ${p.ratePerS}/s` +
      (typeof p.history === 'number' && p.history > 0
        ? ` on a document of ${p.history.toLocaleString('en-US')} updates`
        : '') +
      (typeof p.warmupMs === 'number' && p.warmupMs > 0
        ? `, after ${p.warmupMs / 1000} s warm-up`
        : ', from cold'),
    metrics: [
      {
        key: 'cpuUsPerDelivery',
        label: 'server CPU per delivered update (µs)',
        target: {
          text: '≤ 0.5× reference at 50 and 200 writers',
          ratio: 0.5,
          when: (p) => (p.clients === 50 || p.clients === 200) && !p.history,
        },
      },
      {
        key: 'mainThreadPct',
        label: 'share of that CPU on the main thread (%)',
        plain: true,
      },
      { key: 'throughputEditsPerS', label: 'delivered (edits/s)' },
      { key: 'propagationP99Ms', label: 'propagation p99 (ms)' },
      { key: 'ackP50Ms', label: 'durable ack p50 (ms)' },
      ackP99,
    ],
  },
  fanout: {
    title: (p) =>
      `fan-out ${p.clients} writers, ${p.mode === 'closed' ? 'closed loop' : "paced at the reference's max"}`,
    metrics: [
      { key: 'throughputEditsPerS', label: 'delivered (edits/s)' },
      { key: 'propagationP50Ms', label: 'propagation p50 (ms)' },
      { key: 'propagationP99Ms', label: 'propagation p99 (ms)' },
      { key: 'ackP99Ms', label: 'durable ack p99 (ms)' },
      { key: 'ackWithin100Pct', label: 'acked ≤ 100 ms (%)', plain: true },
      { key: 'cpuMsPer1kEdits', label: 'server CPU per 1k edits (ms)' },
    ],
  },
  docs: {
    title: (p) => `docs ${p.docs}`,
    metrics: [
      {
        key: 'cpuMsPerDoc',
        label: 'server CPU per document: connect, sync, edit (ms)',
        target: { text: '≤ 0.8× reference', ratio: 0.8 },
      },
      {
        key: 'mainThreadPct',
        label: 'share of that CPU on the main thread (%)',
        plain: true,
      },
      {
        key: 'rssPerDocKB',
        label: 'RSS per open document + connection (KB)',
        target: { text: '≤ 20 KB', max: 20 },
      },
      {
        key: 'rssAfterPctOfIdle',
        label: 'RSS after all closed and unloaded, right after a forced GC (% of idle)',
      },
      {
        key: 'rssSettledPctOfIdle',
        label: 'RSS after all closed and unloaded, settled (% of idle settled)',
        target: { text: '≤ 120 %', max: 120 },
      },
      { key: 'docsLoadedAfter', label: 'documents still loaded after', plain: true },
      { key: 'docsPerS', label: 'documents opened per second' },
    ],
  },
  burst: {
    title: (p) => `burst ${p.keystrokes} keystrokes`,
    metrics: [
      {
        key: 'seeAllMs',
        label: 'first send → a new client sees all (ms)',
        target: { text: '≤ 1.5× reference', ratio: 1.5 },
      },
      { key: 'sendMs', label: 'sending took (ms)' },
      { key: 'serverCpuMs', label: 'server CPU (ms)' },
      { key: 'sideP99Ms', label: 'other document: propagation p99 (ms)' },
      { key: 'sideMaxMs', label: 'other document: propagation max (ms)' },
    ],
  },
  coldload: {
    title: (p) => `cold load ${p.history} updates`,
    metrics: [
      {
        key: 'coldMs',
        label: 'fresh client synced, cold (ms; Concord: raw log never compacted)',
        target: { text: '< 600 ms at 100k', below: 600, when: cold100k },
      },
      {
        key: 'coldCompactedMs',
        label: "Concord cold after its own compaction vs the others' cold (ms)",
        versus: 'coldMs',
        target: { text: '< 600 ms at 100k', below: 600, when: cold100k },
      },
      { key: 'warmMedianMs', label: 'document in memory (ms, median of 5)' },
    ],
  },
  storm: {
    title: (p) => `storm ${p.clients} clients × ${p.offlineEdits} offline edits`,
    metrics: [
      { key: 'convergeMs', label: 'reconnect → all converged (ms)' },
      { key: 'serverCpuMs', label: 'server CPU (ms)' },
    ],
  },
};

export function readResults(file = RESULTS_FILE): ResultLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ResultLine);
}

/** Per scenario, per parameter set: the latest line (full runs hide quick ones). */
function latest(lines: readonly ResultLine[]): Map<string, ResultLine[]> {
  const out = new Map<string, ResultLine[]>();
  for (const scenario of Object.keys(SCENARIOS)) {
    const all = lines.filter((l) => l.scenario === scenario);
    const full = all.filter((l) => !l.quick);
    const bySet = new Map<string, ResultLine>();
    for (const l of full.length > 0 ? full : all) bySet.set(stableJson(l.params), l);
    if (bySet.size > 0) out.set(scenario, [...bySet.values()]);
  }
  return out;
}

const num = (f: Figure | undefined): number | null => (typeof f === 'number' ? f : null);

function cell(line: ResultLine, kind: ServerKind, key: string): string {
  const s = line.servers[kind];
  if (!s) return '–';
  const f = s.figures[key];
  const value = f === null || f === undefined ? 'n/a' : String(f);
  return `${value}${s.clientBound ? ' †' : ''}${s.converged ? '' : ' ✗'}`;
}

function ratioCell(a: number | null, b: number | null): string {
  return a === null || b === null || b === 0 ? '' : `${round(a / b, 2)}×`;
}

function targetCell(line: ResultLine, m: Metric): string {
  const t = m.target;
  if (!t || (t.when && !t.when(line.params))) return '';
  const c = line.servers.concord;
  const value = num(c?.figures[m.key]);
  const ref = num(line.servers.reference?.figures[m.versus ?? m.key]);
  if (!c || value === null || (t.ratio !== undefined && ref === null)) return `${t.text}: n/a`;
  const met =
    c.converged &&
    (t.ratio !== undefined ? value / ref! <= t.ratio : true) &&
    (t.max !== undefined ? value <= t.max : true) &&
    (t.below !== undefined ? value < t.below : true);
  return `${t.text}: ${met ? 'met' : 'MISSED'}`;
}

export function renderTable(lines: readonly ResultLine[]): string {
  const sections: string[] = [];
  for (const [scenario, sets] of latest(lines)) {
    const spec = SCENARIOS[scenario]!;
    const runs = [
      ...new Set(
        sets.map(
          (l) =>
            `${l.timestamp.slice(0, 10)} \`${l.commit}${l.dirty ? '+dirty' : ''}\`${l.quick ? ' quick' : ''}`,
        ),
      ),
    ];
    const rows = [
      '| metric | concord | reference | hocuspocus | concord/reference | concord/hocuspocus | target |',
      '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ];
    for (const line of sets) {
      for (const m of spec.metrics) {
        if (!KINDS.some((k) => line.servers[k]?.figures[m.key] !== undefined)) continue;
        const c = num(line.servers.concord?.figures[m.key]);
        const other = (k: ServerKind) =>
          m.plain ? null : num(line.servers[k]?.figures[m.versus ?? m.key]);
        rows.push(
          `| ${spec.title(line.params)}: ${m.label} | ${KINDS.map((k) => cell(line, k, m.key)).join(' | ')} | ` +
            `${ratioCell(c, other('reference'))} | ${ratioCell(c, other('hocuspocus'))} | ${targetCell(line, m)} |`,
        );
      }
    }
    sections.push(`### ${scenario}\n\nLatest run: ${runs.join(', ')}.\n\n${rows.join('\n')}`);
  }
  if (sections.length === 0) return '_No results yet: run `npm run bench`._';
  return (
    `${sections.join('\n\n')}\n\n` +
    '† client-bound: the benchmark process used ≥ 90 % of its core (open loop: or delivered < 95 % ' +
    'of the offered load), so the clients may have set the pace. ✗ a convergence or content check ' +
    'failed (see results.jsonl). n/a: the server has no such figure.'
  );
}

/** Rewrite the README's table from results.jsonl; returns the table. */
export function writeTable(): string {
  const table = renderTable(readResults());
  const readme = readFileSync(README, 'utf8');
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  const next =
    start >= 0 && end > start
      ? `${readme.slice(0, start + START.length)}\n${table}\n${readme.slice(end)}`
      : `${readme.trimEnd()}\n\n## Latest results\n\n${START}\n${table}\n${END}\n`;
  writeFileSync(README, next);
  return table;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(writeTable());
}
