/** A server in a child process of its own (the built `dist/src/main.js`), to kill -9 and restart. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { SECRET, waitFor } from './helpers.js';

export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

/** `n` different free ports (held open together while they are chosen). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve) => {
          const s = createServer().listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** Starts the server on `port` over `dataDir`; `onSpawn` gets the child (to kill it at the end). */
export function spawnServer(
  port: number,
  dataDir: string,
  env: Record<string, string>,
  onSpawn: (child: ChildProcess) => void,
  entry = 'main.js',
): ChildProcess {
  const child = spawn(process.execPath, [join(import.meta.dirname, '..', 'dist', 'src', entry)], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      AUTH_SECRET: SECRET,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  onSpawn(child);
  return child;
}

export async function healthy(url: string): Promise<void> {
  await waitFor(
    async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok === true,
    'server healthy',
    20_000,
  );
}

export async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** Resolves when the child has exited, with how; fails after `timeoutMs`. */
export async function exited(
  child: ChildProcess,
  timeoutMs = 20_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return { code: child.exitCode, signal: child.signalCode };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('child did not exit')), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/** A list for the child processes a test file starts: whatever is in it is killed after each test. */
export function killedAfterEach(): ChildProcess[] {
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) await kill9(c);
  });
  return children;
}
