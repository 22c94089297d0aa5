/**
 * Scale-out with real processes (`node dist/src/main.js`, built beforehand): three instances over
 * the real PostgreSQL and Redis; one is killed with SIGKILL in the middle of a burst of edits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { HybridClock, applyPatch, materialize, productKind } from '@concord/shared';
import {
  SECRET,
  api,
  connect,
  synced,
  tempDir,
  token,
  waitFor,
  type TestClient,
} from './helpers.js';
import {
  DATABASE_URL,
  REDIS_URL,
  dropRedisPrefix,
  dropSchema,
  uniqueName,
} from './scaleHelpers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const mainJs = join(root, 'dist/src/main.js');
const schema = uniqueName('concord_test');
const prefix = `${uniqueName('concord_test')}:`;
const dir = tempDir();

interface Instance {
  readonly url: string;
  readonly wsUrl: string;
  readonly child: ChildProcess;
}
const instances: Instance[] = [];

function startInstance(n: number): Promise<Instance> {
  const child = spawn(process.execPath, [mainJs], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: join(dir.path, `i${n}`),
      AUTH_SECRET: SECRET,
      DATABASE_URL,
      REDIS_URL,
      DATABASE_SCHEMA: schema,
      REDIS_PREFIX: prefix,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('instance did not start')), 20_000);
    child.once('exit', (code) => reject(new Error(`instance exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const log = JSON.parse(line) as { msg?: string; url?: string };
        if (log.msg === 'Concord listening' && log.url) {
          clearTimeout(timer);
          const instance = { url: log.url, wsUrl: log.url.replace(/^http/, 'ws'), child };
          instances.push(instance);
          resolve(instance);
        }
      } catch {
        // not a log line
      }
    });
  });
}

afterAll(async () => {
  for (const i of instances) if (i.child.exitCode === null) i.child.kill('SIGTERM');
  await Promise.all(
    instances.map(
      (i) =>
        new Promise<void>((r) =>
          i.child.exitCode !== null || i.child.signalCode !== null
            ? r()
            : i.child.once('exit', () => r()),
        ),
    ),
  );
  await dropSchema(schema);
  await dropRedisPrefix(prefix);
  dir.remove();
});

const DOC = 'product:kill';
const bump = (client: TestClient, writer: string) =>
  applyPatch(
    client.doc,
    productKind,
    { stock: { delta: 1 } },
    {
      clock: new HybridClock({ replicaId: writer }),
      writer,
    },
  );

/** The highest own Yjs clock covered by the client's last durable-save ack. */
function ackedClock(client: TestClient): number {
  const last = client.acks.at(-1);
  return last ? (Y.decodeStateVector(last.stateVector).get(client.doc.clientID) ?? 0) : 0;
}

describe.skipIf(!existsSync(mainJs))('real processes, kill -9', () => {
  it('SK1: kill -9 one instance mid-burst: its clients reconnect to another, no acknowledged edit is lost, replicas converge', async () => {
    const [a, b, c] = [await startInstance(0), await startInstance(1), await startInstance(2)];
    const targets = [a, b, c, a, b, c];
    let clients = targets.map((t, i) =>
      connect(t, DOC, token(`w${i}`, 'editor'), { extensions: true }),
    );
    await Promise.all(clients.map(synced));
    const edits = clients.map(() => 0);
    let running = true;
    const burst = (async () => {
      while (running) {
        clients.forEach((cl, i) => {
          bump(cl, `w${i}`);
          edits[i]! += 1;
        });
        await new Promise((r) => setTimeout(r, 15));
      }
    })();
    // The burst is under way: every client has had several of its own edits acknowledged.
    await waitFor(() => clients.every((cl) => ackedClock(cl) >= 3), 'burst under way');
    // SIGKILL the instance serving clients 0 and 3, in the middle of the burst.
    a.child.kill('SIGKILL');
    const victims = [0, 3];
    const ackedAtKill = clients.map((cl) => ackedClock(cl));
    expect(Math.min(...victims.map((v) => ackedAtKill[v]!))).toBeGreaterThan(0);
    // Their clients reconnect to another instance (what a load balancer would do), same Y.Doc.
    await waitFor(() => victims.every((v) => !clients[v]!.provider.wsconnected), 'victims notice');
    clients = clients.map((cl, i) => {
      if (!victims.includes(i)) return cl;
      cl.provider.destroy();
      return connect(i === 0 ? b : c, DOC, token(`w${i}`, 'editor'), {
        extensions: true,
        doc: cl.doc,
      });
    });
    // The burst goes on until the victims' edits are acknowledged by their new instances.
    await waitFor(
      () => victims.every((v) => ackedClock(clients[v]!) >= ackedAtKill[v]! + 3),
      'victims saving again on another instance',
    );
    running = false;
    await burst;
    const total = edits.reduce((x, y) => x + y, 0);
    await waitFor(
      () =>
        clients.every(
          (cl) => cl.saved() && materialize(cl.doc, productKind, 'kill').stock === total,
        ),
      'every client converged and saved',
      30_000,
    );
    // Nothing acknowledged before the kill is missing anywhere; all replicas agree.
    for (const cl of clients) {
      const sv = Y.decodeStateVector(Y.encodeStateVector(cl.doc));
      clients.forEach((other, i) =>
        expect(sv.get(other.doc.clientID) ?? 0).toBeGreaterThanOrEqual(ackedAtKill[i]!),
      );
    }
    const tok = token('reader', 'viewer');
    // a fresh instance started after the kill reads the same state from the log
    const d = await startInstance(3);
    for (const inst of [b, c, d]) {
      const r = await api(inst, 'GET', `/api/docs/${DOC}`, { token: tok });
      expect(r.status).toBe(200);
      expect(r.json.stock).toBe(total);
    }
    const fresh = [b, c, d].map((inst) => connect(inst, DOC, tok));
    await Promise.all(fresh.map(synced));
    const want = Buffer.from(Y.encodeStateVector(clients[1]!.doc)).toString('hex');
    await waitFor(
      () => fresh.every((f) => Buffer.from(Y.encodeStateVector(f.doc)).toString('hex') === want),
      'replicas identical',
    );
    const metrics = await (await fetch(`${b.url}/metrics`)).text();
    expect(metrics).toMatch(/concord_replication_lag_seconds_count [1-9]/);
    fresh.forEach((f) => f.destroy());
    clients.forEach((cl) => cl.destroy());
  });
});
