import { spawn, type ChildProcess } from 'node:child_process';
import { expect } from '@playwright/test';

/** A sync server a test owns (to kill it, restart it, or run it with its own settings). */
export async function startServer(
  port: number,
  env: Record<string, string>,
): Promise<ChildProcess> {
  const child = spawn('node', ['../sync-server/dist/src/main.js'], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await expect
    .poll(
      async () =>
        (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok ?? false,
      { timeout: 15_000 },
    )
    .toBe(true);
  return child;
}

export async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
