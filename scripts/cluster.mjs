#!/usr/bin/env node
// Start N sync-server instances in scale-out mode on consecutive ports, against the local
// PostgreSQL and Redis, and print their URLs. Ctrl-C stops them all (SIGTERM, clean shutdown).
//
//   npm run cluster                 # 3 instances on 8081, 8082, 8083
//   npm run cluster -- 5            # 5 instances
//   PORT=9000 npm run cluster       # first port
//   PAYMENTS=process npm run cluster   # payments in a process of their own (after the instances'
//                                      # ports), the instances with PAYMENT_CONSUMER=external
//
// Environment (defaults): DATABASE_URL (postgres://postgres@127.0.0.1:5432/test), REDIS_URL
// (redis://127.0.0.1:6379), DATABASE_SCHEMA (concord), REDIS_PREFIX (concord:), AUTH_SECRET
// (one shared secret, kept in data/cluster/auth-secret), LOG_LEVEL (warn).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const mainJs = join(root, 'apps/sync-server/dist/src/main.js');
const paymentJs = join(root, 'apps/sync-server/dist/src/paymentMain.js');
const separatePayments = process.env.PAYMENTS === 'process';
const count = Number(process.argv[2] ?? process.env.INSTANCES ?? 3);
const firstPort = Number(process.env.PORT ?? 8081);
if (!Number.isInteger(count) || count < 1) throw new Error('usage: cluster.mjs [instances]');
if (!existsSync(mainJs)) {
  console.error(`${mainJs} is missing: build first (npm run build)`);
  process.exit(1);
}
const dataRoot = join(root, 'data/cluster');
mkdirSync(dataRoot, { recursive: true });
const secretFile = join(dataRoot, 'auth-secret');
if (!process.env.AUTH_SECRET && !existsSync(secretFile))
  writeFileSync(secretFile, randomBytes(32).toString('base64url'), { mode: 0o600 });
const env = {
  ...process.env,
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  AUTH_SECRET: process.env.AUTH_SECRET ?? readFileSync(secretFile, 'utf8').trim(),
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  ...(separatePayments ? { PAYMENT_CONSUMER: 'external' } : {}),
};

const children = [];
let stopping = false;
const started = [];
/** Starts a child; resolves with `url` once it logs `ready` (pino JSON lines on stdout). */
function launch(label, script, extraEnv, ready, url) {
  const child = spawn(process.execPath, [script], {
    env: { ...env, ...extraEnv, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  started.push(
    new Promise((resolve, reject) => {
      child.once('exit', (code) => {
        if (!stopping) reject(new Error(`${label} exited with ${code}`));
      });
      createInterface({ input: child.stdout }).on('line', (line) => {
        let log;
        try {
          log = JSON.parse(line);
        } catch {
          return console.log(`[${label}] ${line}`);
        }
        if (log.msg === ready) resolve(url);
        else if (log.level >= 40 || env.LOG_LEVEL === 'info' || env.LOG_LEVEL === 'debug')
          console.log(`[${label}] ${line}`);
      });
    }),
  );
}
for (let i = 0; i < count; i++) {
  const port = firstPort + i;
  launch(
    `${i + 1}`,
    mainJs,
    { PORT: String(port), DATA_DIR: join(dataRoot, `instance-${i + 1}`) },
    'Concord listening',
    `http://127.0.0.1:${port}`,
  );
}
if (separatePayments) {
  const port = firstPort + count;
  launch(
    'payments',
    paymentJs,
    { PAYMENT_PORT: String(port) },
    'payment consumer running',
    `payments: http://127.0.0.1:${port}/metrics`,
  );
}

function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  Promise.all(
    children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.once('exit', r)))),
  ).then(() => process.exit(code));
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

try {
  const urls = await Promise.all(started);
  console.log(
    `Concord cluster: ${count} instances (PostgreSQL ${env.DATABASE_URL}, Redis ${env.REDIS_URL})`,
  );
  for (const url of urls.filter((u) => u.startsWith('payments:'))) console.log(`  ${url}`);
  for (const url of urls.filter((u) => !u.startsWith('payments:')))
    console.log(
      `  ${url}   ws: ${url.replace('http', 'ws')}/<docName>?token=…   metrics: ${url}/metrics`,
    );
  console.log('Ctrl-C to stop.');
} catch (error) {
  console.error(String(error));
  stop(1);
}
