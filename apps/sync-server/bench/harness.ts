/** Benchmark plumbing: server child processes, tokens, y-websocket clients, statistics, waits. */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { MessageType, productKind, readErrorEvent, readSavedAck } from '@concord/shared';
import { testToken } from '../test/tokens.js';

const SECRET = 'bench-secret-of-sufficient-length';
export const HOST = '127.0.0.1';

export type ServerKind = 'concord' | 'reference';

export interface ServerProcess {
  readonly kind: ServerKind;
  readonly port: number;
  readonly info: Record<string, unknown>;
  /** Server CPU seconds (user + system) used so far. */
  cpuSeconds(): Promise<number>;
  stop(): Promise<void>;
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

/** URL of `docName` on the server, with a token (ignored by the reference) and the opt-in flag. */
export function docUrl(
  server: ServerProcess,
  docName: string,
  optIn: boolean,
  user = 'bench',
): string {
  const params = new URLSearchParams({ token: token(user) });
  if (optIn && server.kind === 'concord') {
    params.set('concord', '1');
    params.set('schema', String(productKind.schemaVersion));
  }
  return `ws://${HOST}:${server.port}/${docName}?${params.toString()}`;
}

export async function startServerProcess(
  kind: ServerKind,
  env: Record<string, string>,
): Promise<ServerProcess> {
  const script = new URL(
    kind === 'concord' ? './ourServerChild.js' : './referenceChild.js',
    import.meta.url,
  );
  const profileDir = process.env.BENCH_PROFILE_DIR;
  const child: ChildProcess = fork(script, [], {
    ...(profileDir ? { execArgv: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {}),
    env: { ...process.env, AUTH_SECRET: SECRET, ...env },
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
  return {
    kind,
    port: info.port as number,
    info,
    cpuSeconds() {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('cpu query timed out')), 10_000);
        child.once('message', (m) => {
          clearTimeout(timer);
          const { user, system } = (m as { cpu: { user: number; system: number } }).cpu;
          resolve((user + system) / 1e6);
        });
        child.send({ cmd: 'cpu' });
      });
    },
    async stop() {
      if (child.exitCode === null) child.send({ cmd: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Error events (type 101) Concord sent to the benchmark's y-websocket clients. */
export const serverErrors: string[] = [];

/** A real, unmodified y-websocket client (observer / fresh client), opting in on Concord. */
export interface YClient {
  readonly doc: Y.Doc;
  readonly provider: WebsocketProvider;
  destroy(): void;
}

export function yClient(server: ServerProcess, docName: string, doc = new Y.Doc()): YClient {
  const params: Record<string, string> = { token: token('observer') };
  if (server.kind === 'concord') {
    params.concord = '1';
    params.schema = String(productKind.schemaVersion);
  }
  const provider = new WebsocketProvider(`ws://${HOST}:${server.port}`, docName, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    params,
    disableBc: true,
    maxBackoffTime: 500,
  });
  // Acks are measured by the writers; error events are collected and reported.
  provider.messageHandlers[MessageType.savedAck] = (_e, decoder) => void readSavedAck(decoder);
  provider.messageHandlers[MessageType.error] = (_e, decoder) => {
    const event = readErrorEvent(decoder);
    serverErrors.push(`${docName}: ${event.code}: ${event.message}`);
  };
  return {
    doc,
    provider,
    destroy() {
      provider.destroy();
      doc.destroy();
    },
  };
}

export async function waitFor(
  condition: () => boolean,
  what: string,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      console.warn(`  ! timed out after ${timeoutMs} ms waiting for ${what}`);
      return false;
    }
    await sleep(5);
  }
  return true;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function sortNumbers(values: readonly number[]): number[] {
  return Array.from(Float64Array.from(values).sort());
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

/** Sync one client to an unrelated document, so "cold" means the document, not the process JIT. */
export async function warmUp(server: ServerProcess): Promise<void> {
  const client = yClient(server, 'product:warm-up');
  try {
    await waitFor(() => client.provider.synced, 'warm-up client synced', 15_000);
  } finally {
    client.destroy();
  }
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
    'concord_ack_seconds_sum',
    'concord_ack_seconds_count',
  ]) {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
    out[name] = m ? Number(m[1]) : NaN;
  }
  return out;
}
