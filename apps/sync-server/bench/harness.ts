/** Benchmark plumbing: server child processes, tokens, CPU pinning, statistics, waits. */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import * as Y from 'yjs';
import { testToken } from '../test/tokens.js';

const SECRET = 'bench-secret-of-sufficient-length';
export const HOST = '127.0.0.1';

export type ServerKind = 'concord' | 'reference' | 'hocuspocus';
/** The order servers run in within a scenario (the reference first: paced runs use its rate). */
export const SERVER_KINDS: readonly ServerKind[] = ['reference', 'hocuspocus', 'concord'];

export interface ServerStats {
  /** CPU seconds (user + system) used so far, worker threads included. */
  readonly cpuS: number;
  /** The same for the main thread alone (JavaScript, sockets); undefined where it cannot be read. */
  readonly mainCpuS: number | undefined;
  readonly rss: number;
  /** V8 heap in use (after a forced GC: what is still reachable). */
  readonly heapUsed: number;
  /** Documents the server holds in memory. */
  readonly docs: number;
  /** Full (mark-compact) collections so far, forced ones included (reported a moment late). */
  readonly majorGcs: number;
}

export interface ServerProcess {
  readonly kind: ServerKind;
  readonly port: number;
  readonly info: Record<string, unknown>;
  cpuSeconds(): Promise<number>;
  stats(): Promise<ServerStats>;
  /** Force a full garbage collection in the server (children run with --expose-gc); its stats after. */
  gc(): Promise<ServerStats>;
  stop(): Promise<void>;
}

/**
 * The share (%) of the server's CPU between two readings that ran on its main thread; null where
 * the main thread cannot be read apart. Its time comes in 10 ms ticks: ±2 points over a run.
 */
export function mainThreadPct(before: ServerStats, after: ServerStats): number | null {
  const cpuS = after.cpuS - before.cpuS;
  if (before.mainCpuS === undefined || after.mainCpuS === undefined || cpuS <= 0) return null;
  return Math.round(Math.min(100, (100 * (after.mainCpuS - before.mainCpuS)) / cpuS));
}

export function token(sub: string): string {
  return testToken(SECRET, sub, 'editor', 3600);
}

/**
 * With BENCH_PIN (default on with 2+ CPUs): the server on CPU 0, this process (the clients) on
 * CPU 1, so server CPU is measured without the clients competing for its core.
 */
const pinning = process.env.BENCH_PIN !== '0' && cpus().length >= 2;
export function pin(pid: number | undefined, cpu: number): void {
  if (!pinning || pid === undefined) return;
  const result = spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], {
    stdio: 'ignore',
  });
  if (result.status !== 0) console.warn(`could not pin ${pid} to CPU ${cpu} (taskset missing?)`);
}

const CHILD_SCRIPT: Record<ServerKind, string> = {
  concord: './ourServerChild.js',
  reference: './referenceChild.js',
  hocuspocus: './hocuspocusChild.js',
};

interface StatsReply {
  cpu: { user: number; system: number };
  mainCpuS: number | undefined;
  rss: number;
  heapUsed: number;
  docs: number;
  majorGcs: number;
}

/**
 * Concord settings of this run (BENCH_CONCORD_CONFIG, JSON of `ServerConfig` fields), applied
 * over a scenario's own (env CONCORD_CONFIG): for exploring, recorded with every result.
 */
export const concordConfigOverride = JSON.parse(process.env.BENCH_CONCORD_CONFIG || '{}') as Record<
  string,
  unknown
>;

/**
 * Start a server of `kind` in its own process (IPC: it sends `{port, ...}` once listening, answers
 * `cpu` and `gc`, exits on `stop`). `env` adds to this process's environment (DATA_DIR, ...).
 */
async function startServerProcess(
  kind: ServerKind,
  env: Record<string, string>,
): Promise<ServerProcess> {
  const profileDir = process.env.BENCH_PROFILE_DIR;
  const child: ChildProcess = fork(new URL(CHILD_SCRIPT[kind], import.meta.url), [], {
    execArgv: [
      '--expose-gc',
      ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    ],
    env: {
      ...process.env,
      AUTH_SECRET: SECRET,
      ...env,
      CONCORD_CONFIG: JSON.stringify({
        ...(JSON.parse(env.CONCORD_CONFIG || '{}') as object),
        ...concordConfigOverride,
      }),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  pin(child.pid, 0);
  const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${kind} server did not start in 60 s`)),
      60_000,
    );
    child.once('message', (m) => {
      clearTimeout(timer);
      resolve(m as Record<string, unknown>);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${kind} server exited with ${code} before starting`));
    });
  });
  // One request at a time: each answer is the next message.
  let chain: Promise<unknown> = Promise.resolve();
  const request = (cmd: 'cpu' | 'gc'): Promise<ServerStats> => {
    const next = chain.then(
      () =>
        new Promise<ServerStats>((resolve, reject) => {
          const onMessage = (m: unknown) => {
            clearTimeout(timer);
            const r = m as StatsReply;
            resolve({
              cpuS: (r.cpu.user + r.cpu.system) / 1e6,
              mainCpuS: r.mainCpuS,
              rss: r.rss,
              heapUsed: r.heapUsed,
              docs: r.docs,
              majorGcs: r.majorGcs,
            });
          };
          const timer = setTimeout(() => {
            child.off('message', onMessage);
            reject(new Error(`${kind} server: ${cmd} query timed out`));
          }, 30_000);
          child.once('message', onMessage);
          child.send({ cmd });
        }),
    );
    chain = next.catch(() => undefined);
    return next;
  };
  return {
    kind,
    port: info.port as number,
    info,
    async cpuSeconds() {
      return (await request('cpu')).cpuS;
    },
    stats: () => request('cpu'),
    gc: () => request('gc'),
    async stop() {
      if (child.exitCode === null) child.send({ cmd: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Run `fn` against a fresh server process of `kind`, stopping it afterwards. */
export async function withServer<T>(
  kind: ServerKind,
  env: Record<string, string>,
  fn: (server: ServerProcess) => Promise<T>,
): Promise<T> {
  const server = await startServerProcess(kind, env);
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

/**
 * CPU this process (every benchmark client) uses over a phase. It runs on one core: ≥ 90 % of
 * that core means the clients, not the server, may have set the pace ("client-bound").
 */
export function clientMeter(): () => { cpuS: number; wallS: number; pct: number; bound: boolean } {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const cpu = process.cpuUsage(cpu0);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    const wallS = (performance.now() - t0) / 1000;
    const pct = wallS > 0 ? (100 * cpuS) / wallS : 0;
    return {
      cpuS: round(cpuS, 2)!,
      wallS: round(wallS, 2)!,
      pct: round(pct, 1)!,
      bound: pct >= 90,
    };
  };
}

export async function waitFor(
  condition: () => boolean,
  what: string,
  timeoutMs: number,
  pollMs = 5,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      console.warn(`  ! timed out after ${timeoutMs} ms waiting for ${what}`);
      return false;
    }
    await sleep(pollMs);
  }
  return true;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

function sortNumbers(values: readonly number[]): number[] {
  return Array.from(Float64Array.from(values).sort());
}

/** p50, p99 and max of latency samples (ms, two decimals). */
export function latencySummary(values: readonly number[]): {
  p50: number | null;
  p99: number | null;
  max: number | null;
  samples: number;
} {
  const sorted = sortNumbers(values);
  return {
    p50: round(percentile(sorted, 50), 2),
    p99: round(percentile(sorted, 99), 2),
    max: round(sorted.at(-1) ?? null, 2),
    samples: sorted.length,
  };
}

export function median(values: readonly number[]): number | null {
  return round(percentile(sortNumbers(values), 50), 1);
}

export function round(n: number | null, digits = 1): number | null {
  if (n === null || !Number.isFinite(n)) return null;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function stateVectorsEqual(a: Uint8Array, b: Uint8Array): boolean {
  const x = Y.decodeStateVector(a);
  const y = Y.decodeStateVector(b);
  if (x.size !== y.size) return false;
  for (const [k, v] of x) if (y.get(k) !== v) return false;
  return true;
}

export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
        )
      : v,
  );
}

/** Concord's Prometheus counters of interest (sums of histograms and counters). */
export async function scrapeMetrics(server: ServerProcess): Promise<Record<string, number>> {
  const res = await fetch(`http://${HOST}:${server.port}/metrics`);
  const text = await res.text();
  const out: Record<string, number> = {};
  for (const name of [
    'concord_append_seconds_sum',
    'concord_append_seconds_count',
    'concord_appended_entries_total',
  ]) {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
    out[name] = m ? Number(m[1]) : NaN;
  }
  return out;
}
