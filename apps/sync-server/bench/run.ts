/**
 * `npm run bench`: Concord's sync server against the reference relay `@y/websocket-server`
 * (0.1.1), each in its own child process, in one run. Scenarios: fan-out (one document, 50 and 200
 * writers) and cold load (a 100,000-update history, time until a fresh client is synced).
 * Prints a table and writes apps/sync-server/bench/results/latest.json. See bench/README.md.
 *
 * Environment (for short development runs): BENCH_QUICK=1 (10/20 clients, 2 s, 10k history),
 * BENCH_CLIENTS=50,200, BENCH_DURATION_MS=10000, BENCH_HISTORY=100000, BENCH_WINDOW=1,
 * BENCH_SCENARIOS=fanout,coldload, BENCH_KEEP=1 (keep the temp data directories).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshSync, storedShape, writeHistory, type SyncSample } from './coldload.js';
import { fanout, type FanoutResult } from './fanout.js';
import {
  round,
  pin,
  serverErrors,
  startServerProcess,
  stateVectorsEqual,
  warmUp,
  type ServerKind,
} from './harness.js';

const env = process.env;
const quick = env.BENCH_QUICK === '1';
const options = {
  clients: (env.BENCH_CLIENTS ?? (quick ? '10,20' : '50,200')).split(',').map(Number),
  durationMs: Number(env.BENCH_DURATION_MS ?? (quick ? 2_000 : 10_000)),
  history: Number(env.BENCH_HISTORY ?? (quick ? 10_000 : 100_000)),
  window: Number(env.BENCH_WINDOW ?? 1),
  observers: 3,
  warmSamples: 5,
  scenarios: (env.BENCH_SCENARIOS ?? 'fanout,fixed,coldload').split(','),
  /** clients:edits per second of the fixed-load runs (server CPU per delivered update). */
  fixed: (env.BENCH_FIXED ?? '50:100,200:40')
    .split(',')
    .map((p) => p.split(':').map(Number) as [number, number]),
};
pin(process.pid, 1);
const here = dirname(fileURLToPath(import.meta.url));
const resultsFile = join(here, '../../bench/results/latest.json');
const root = mkdtempSync(join(tmpdir(), 'concord-bench-'));
const order: ServerKind[] = ['reference', 'concord'];

interface Row {
  metric: string;
  concord: number | string | null;
  reference: number | string | null;
  ratio?: number | null;
  target?: string;
  met?: boolean | null;
}
const rows: Row[] = [];
const problems: string[] = [];

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a == null || b == null || b === 0 ? null : round(a / b, 2);
}

function median(samples: SyncSample[]): number | null {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  return ms.length ? round(ms[Math.floor(ms.length / 2)]!, 1) : null;
}

console.log(
  `Concord sync-server benchmark — ${cpus().length} CPUs, Node ${process.version}; data in ${root}\n` +
    `options: ${JSON.stringify(options)}\n`,
);

const fanoutResults: FanoutResult[] = [];
/** One open-loop run (`rate` edits/s offered by `clients` writers) on a fresh server of `kind`. */
async function runAtRate(
  label: string,
  kind: ServerKind,
  clients: number,
  rate: number,
): Promise<FanoutResult> {
  const dataDir = join(root, `${label}-${clients}-${kind}`);
  mkdirSync(dataDir);
  const server = await startServerProcess(kind, { DATA_DIR: dataDir });
  let res: FanoutResult;
  try {
    await warmUp(server);
    res = await fanout(server, `product:${label}-${clients}`, {
      clients,
      durationMs: options.durationMs,
      observers: options.observers,
      window: Number.MAX_SAFE_INTEGER,
      ratePerS: rate,
    });
  } finally {
    await server.stop();
  }
  delete res.finalStateVector;
  for (const p of res.convergence.problems) problems.push(`${label} ${clients} ${kind}: ${p}`);
  fanoutResults.push(res);
  return res;
}

if (options.scenarios.includes('fanout')) {
  for (const clients of options.clients) {
    const pair: Partial<Record<ServerKind, FanoutResult>> = {};
    for (const kind of order) {
      const dataDir = join(root, `fanout-${clients}-${kind}`);
      mkdirSync(dataDir);
      const server = await startServerProcess(kind, { DATA_DIR: dataDir });
      const docName = `product:fanout-${clients}`;
      let result: FanoutResult;
      try {
        result = await fanout(server, docName, {
          clients,
          durationMs: options.durationMs,
          observers: options.observers,
          window: options.window,
        });
      } finally {
        await server.stop();
      }
      if (kind === 'concord') {
        const stored = await storedShape(join(dataDir, 'concord.db'), docName);
        if (
          result.finalStateVector &&
          stateVectorsEqual(stored.stateVector, result.finalStateVector)
        )
          result.convergence.checks.push(
            `after shutdown the SQLite log (snapshot ${stored.snapshotSeq ?? 'none'} + ${stored.tail} entries) rebuilds the same state`,
          );
        else {
          result.convergence.ok = false;
          result.convergence.problems.push('the SQLite log does not rebuild the replicas’ state');
        }
      }
      delete result.finalStateVector;
      for (const p of result.convergence.problems)
        problems.push(`fan-out ${clients} ${kind}: ${p}`);
      console.log(
        `fan-out ${clients} clients, ${kind}: ${result.throughputEditsPerS} edits/s, propagation p50 ${result.propagationMs.p50} ms p99 ${result.propagationMs.p99} ms` +
          (result.durableAckMs
            ? `, ack p99 ${result.durableAckMs.p99} ms (${result.durableAckMs.within100msPct}% ≤ 100 ms)`
            : '') +
          `, server CPU ${result.serverCpuS} s, client CPU ${result.clientCpuS} s` +
          (result.commits
            ? `, ${result.commits.count} commits (${result.commits.entriesPerCommit} entries, ${result.commits.meanMs} ms each; ${result.commits.blockedS} s in append)`
            : '') +
          `, converged: ${result.convergence.ok}`,
      );
      pair[kind] = result;
      fanoutResults.push(result);
    }
    const c = pair.concord!;
    const r = pair.reference!;
    const throughputRatio = ratio(c.throughputEditsPerS, r.throughputEditsPerS);
    rows.push(
      {
        metric: `fan-out ${clients}: throughput (edits/s)`,
        concord: c.throughputEditsPerS,
        reference: r.throughputEditsPerS,
        ratio: throughputRatio,
        target: 'ratio ≥ 1.5',
        met: throughputRatio !== null && throughputRatio >= 1.5,
      },
      {
        metric: `fan-out ${clients}: deliveries (msgs/s)`,
        concord: c.deliveriesPerS,
        reference: r.deliveriesPerS,
        ratio: ratio(c.deliveriesPerS, r.deliveriesPerS),
      },
      {
        metric: `fan-out ${clients}: propagation p50 (ms)`,
        concord: c.propagationMs.p50,
        reference: r.propagationMs.p50,
        ratio: ratio(c.propagationMs.p50, r.propagationMs.p50),
      },
      {
        metric: `fan-out ${clients}: propagation p99 (ms)`,
        concord: c.propagationMs.p99,
        reference: r.propagationMs.p99,
        ratio: ratio(c.propagationMs.p99, r.propagationMs.p99),
      },
      {
        metric: `fan-out ${clients}: durable ack p99 (ms)`,
        concord: c.durableAckMs?.p99 ?? null,
        reference: 'n/a',
        ratio: null,
      },
      {
        metric: `fan-out ${clients}: acked ≤ 100 ms (%)`,
        concord: c.durableAckMs?.within100msPct ?? null,
        reference: 'n/a',
        target: '≥ 99',
        met: (c.durableAckMs?.within100msPct ?? 0) >= 99,
      },
      {
        metric: `fan-out ${clients}: server CPU per 1k edits (ms)`,
        concord: c.serverCpuMsPer1kEdits,
        reference: r.serverCpuMsPer1kEdits,
        ratio: ratio(c.serverCpuMsPer1kEdits, r.serverCpuMsPer1kEdits),
      },
      {
        metric: `fan-out ${clients}: converged`,
        concord: c.convergence.ok ? 'yes' : 'NO',
        reference: r.convergence.ok ? 'yes' : 'NO',
      },
    );

    // The same number of writers at a fixed offered load: the reference's saturated throughput.
    // Closed-loop latency above is queueing at saturation; this is latency under a load both serve.
    const rate = r.throughputEditsPerS;
    const paced: Partial<Record<ServerKind, FanoutResult>> = {};
    for (const kind of order) {
      const res = (paced[kind] = await runAtRate('paced', kind, clients, rate));
      console.log(
        `paced ${clients} clients at ${rate} edits/s, ${kind}: delivered ${res.throughputEditsPerS} edits/s, propagation p50 ${res.propagationMs.p50} ms p99 ${res.propagationMs.p99} ms` +
          (res.durableAckMs
            ? `, ack p99 ${res.durableAckMs.p99} ms (${res.durableAckMs.within100msPct}% ≤ 100 ms)`
            : '') +
          `, converged: ${res.convergence.ok}`,
      );
    }
    const pc = paced.concord!;
    const pr = paced.reference!;
    rows.push(
      {
        metric: `paced ${clients} @ ${rate}/s: propagation p99 (ms)`,
        concord: pc.propagationMs.p99,
        reference: pr.propagationMs.p99,
        ratio: ratio(pc.propagationMs.p99, pr.propagationMs.p99),
      },
      {
        metric: `paced ${clients} @ ${rate}/s: durable ack p99 (ms)`,
        concord: pc.durableAckMs?.p99 ?? null,
        reference: 'n/a',
      },
      {
        metric: `paced ${clients} @ ${rate}/s: acked ≤ 100 ms (%)`,
        concord: pc.durableAckMs?.within100msPct ?? null,
        reference: 'n/a',
        target: '≥ 99',
        met: (pc.durableAckMs?.within100msPct ?? 0) >= 99,
      },
      {
        metric: `paced ${clients} @ ${rate}/s: converged`,
        concord: pc.convergence.ok ? 'yes' : 'NO',
        reference: pr.convergence.ok ? 'yes' : 'NO',
      },
    );
  }
}

let coldLoad: Record<string, unknown> | undefined;
// Fixed, moderate load (no server saturated): what each server spends per update it delivers.
if (options.scenarios.includes('fixed')) {
  for (const [clients, rate] of options.fixed) {
    const results: Partial<Record<ServerKind, FanoutResult>> = {};
    for (const kind of order) {
      const res = (results[kind] = await runAtRate('fixed', kind, clients, rate));
      console.log(
        `fixed ${clients} clients at ${rate} edits/s, ${kind}: server CPU ${res.serverCpuS} s, ${res.serverCpuUsPerDelivery} µs per delivered update, propagation p99 ${res.propagationMs.p99} ms, converged: ${res.convergence.ok}`,
      );
    }
    const c = results.concord!;
    const r = results.reference!;
    rows.push(
      {
        metric: `fixed ${clients} @ ${rate}/s: server CPU per delivered update (µs)`,
        concord: c.serverCpuUsPerDelivery,
        reference: r.serverCpuUsPerDelivery,
        ratio: ratio(c.serverCpuUsPerDelivery, r.serverCpuUsPerDelivery),
      },
      {
        metric: `fixed ${clients} @ ${rate}/s: converged`,
        concord: c.convergence.ok ? 'yes' : 'NO',
        reference: r.convergence.ok ? 'yes' : 'NO',
      },
    );
  }
}

if (options.scenarios.includes('coldload')) {
  const dir = join(root, 'cold-load');
  mkdirSync(dir);
  const db = join(dir, 'concord.db');
  const docName = 'product:cold-load';
  console.log(`\ncold load: writing a ${options.history}-update history to ${db} ...`);
  const history = await writeHistory(db, docName, options.history);
  console.log(
    `  ${history.updates} updates (${history.logBytes} bytes logged, ${history.stateBytes} bytes as one state) in ${history.generateMs} ms`,
  );
  const check = (what: string, samples: SyncSample[]) => {
    for (const s of samples) if (!s.ok) problems.push(`cold load ${what}: ${s.problem}`);
  };

  // Reference: no persistence by default, so its process applies the same log, update by update,
  // to its in-memory doc before listening. Every fresh client then finds the doc loaded (warm).
  const ref = await startServerProcess('reference', { PRELOAD_DB: db, PRELOAD_DOC: docName });
  const refSamples: SyncSample[] = [];
  try {
    await warmUp(ref);
    for (let i = 0; i < 1 + options.warmSamples; i++)
      refSamples.push(await freshSync(ref, history));
  } finally {
    await ref.stop();
  }
  check('reference', refSamples);
  console.log(
    `  reference (preloaded ${String(ref.info.preloaded)} updates in ${round(ref.info.preloadMs as number, 0)} ms): first ${round(refSamples[0]!.ms)} ms, median ${median(refSamples.slice(1))} ms`,
  );

  // Concord 1: the log exactly as appended (no snapshot): the first client's connection loads it.
  let ours = await startServerProcess('concord', { DATA_DIR: dir });
  let coldRaw: SyncSample;
  const warm: SyncSample[] = [];
  try {
    await warmUp(ours);
    coldRaw = await freshSync(ours, history);
    for (let i = 0; i < options.warmSamples; i++) warm.push(await freshSync(ours, history));
  } finally {
    await ours.stop();
  }
  check('concord (raw log)', [coldRaw, ...warm]);
  const afterFirst = await storedShape(db, docName);
  // Concord 2: restart on the store as the server left it (it compacts a long tail on load).
  ours = await startServerProcess('concord', { DATA_DIR: dir });
  let coldSnap: SyncSample;
  try {
    await warmUp(ours);
    coldSnap = await freshSync(ours, history);
  } finally {
    await ours.stop();
  }
  check('concord (compacted)', [coldSnap]);
  console.log(
    `  concord: cold (raw ${history.updates}-entry log) ${round(coldRaw.ms)} ms; cold after the server's compaction (snapshot at ${afterFirst.snapshotSeq}, tail ${afterFirst.tail}) ${round(coldSnap.ms)} ms; warm median ${median(warm)} ms`,
  );
  const refFirst = round(refSamples[0]!.ms);
  const refWarm = median(refSamples.slice(1));
  coldLoad = {
    history: { ...history, stateVector: undefined },
    reference: {
      preloadMs: round(ref.info.preloadMs as number, 0),
      firstMs: refFirst,
      warmMedianMs: refWarm,
      samples: refSamples,
    },
    concord: {
      coldRawLogMs: round(coldRaw.ms),
      coldCompactedMs: round(coldSnap.ms),
      warmMedianMs: median(warm),
      storeAfterFirstLoad: { snapshotSeq: afterFirst.snapshotSeq, tail: afterFirst.tail },
      samples: { coldRaw, coldSnap, warm },
    },
  };
  rows.push(
    {
      metric: `cold load ${history.updates}: fresh client synced, cold, raw log (ms)`,
      concord: round(coldRaw.ms),
      reference: refFirst,
      ratio: ratio(coldRaw.ms, refFirst),
      target: '< 100 ms',
      met: coldRaw.ms < 100,
    },
    {
      metric: `cold load ${history.updates}: fresh client synced, cold, compacted (ms)`,
      concord: round(coldSnap.ms),
      reference: refFirst,
      ratio: ratio(coldSnap.ms, refFirst),
      target: '< 100 ms',
      met: coldSnap.ms < 100,
    },
    {
      metric: `cold load ${history.updates}: fresh client synced, doc in memory (ms, median)`,
      concord: median(warm),
      reference: refWarm,
      ratio: ratio(median(warm), refWarm),
      target: '< 100 ms',
      met: (median(warm) ?? Infinity) < 100,
    },
    {
      metric: `cold load ${history.updates}: content identical to the history`,
      concord: [coldRaw, coldSnap, ...warm].every((s) => s.ok) ? 'yes' : 'NO',
      reference: refSamples.every((s) => s.ok) ? 'yes' : 'NO',
    },
  );
}

// Table.
const cells = rows.map((r) => [
  r.metric,
  String(r.concord ?? '–'),
  String(r.reference ?? '–'),
  r.ratio == null ? '' : `${r.ratio}×`,
  r.target ? `${r.target} ${r.met ? 'MET' : 'MISSED'}` : '',
]);
const header = ['metric', 'concord', 'reference', 'ours/ref', 'target'];
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
const line = (c: string[]) =>
  c.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ');
console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
for (const c of cells) console.log(line(c));
if (serverErrors.length > 0)
  console.log(
    `\nerror events (type 101) received by clients: ${serverErrors.length}, e.g.\n  ${[...new Set(serverErrors)].slice(0, 5).join('\n  ')}`,
  );
if (problems.length > 0) console.log(`\nPROBLEMS:\n  ${problems.join('\n  ')}`);

mkdirSync(dirname(resultsFile), { recursive: true });
writeFileSync(
  resultsFile,
  `${JSON.stringify(
    {
      finishedAt: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version },
      options,
      table: rows,
      fanout: fanoutResults,
      coldLoad,
      serverErrors: [...new Set(serverErrors)],
      problems,
    },
    null,
    2,
  )}\n`,
);
console.log(`\nresults: ${resultsFile}`);
if (env.BENCH_KEEP !== '1') rmSync(root, { recursive: true, force: true });
process.exit(problems.length > 0 ? 1 : 0);
