import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import * as syncProtocol from 'y-protocols/sync';
import { CloseCode, HybridClock, applyPatch, materialize, productKind } from '@concord/shared';
import type { RunningServer } from '../src/server.js';
import {
  api,
  connect,
  rawConnect,
  startTestServer,
  synced,
  token,
  waitFor,
  type TestClient,
} from './helpers.js';

const MAX_FRAME = 64 * 1024;
let server: RunningServer;
let a: TestClient;
let b: TestClient;

beforeAll(async () => {
  server = await startTestServer({ config: { maxFrameBytes: MAX_FRAME } });
  a = connect(server, 'product:bad', token('ann', 'editor'), { extensions: true });
  b = connect(server, 'product:bad', token('ben', 'editor'), { extensions: true });
  await Promise.all([synced(a), synced(b)]);
});
afterAll(async () => {
  a.destroy();
  b.destroy();
  await server.close();
});

function frame(write: (e: encoding.Encoder) => void): Uint8Array {
  const e = encoding.createEncoder();
  write(e);
  return encoding.toUint8Array(e);
}

let counter = 0;
async function healthyClientsStillSync(): Promise<void> {
  counter += 1;
  applyPatch(
    a.doc,
    productKind,
    { stock: { delta: 1 }, name: `Healthy ${counter}` },
    { clock: new HybridClock({ replicaId: 'ann' }), writer: 'ann' },
  );
  await waitFor(
    () => materialize(b.doc, productKind, 'bad').name === `Healthy ${counter}` && a.saved(),
    'healthy clients keep syncing',
  );
  expect((await api(server, 'GET', '/healthz')).status).toBe(200);
}

const cases: [string, Uint8Array | string, number][] = [
  [
    'random bytes',
    new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0x13, 0x37, 0x42]),
    CloseCode.malformedMessage,
  ],
  ['a truncated varint', new Uint8Array([0x80]), CloseCode.malformedMessage],
  [
    'an unknown message type',
    frame((e) => encoding.writeVarUint(e, 99)),
    CloseCode.malformedMessage,
  ],
  [
    'an unknown sync sub-type',
    frame((e) => {
      encoding.writeVarUint(e, 0);
      encoding.writeVarUint(e, 7);
    }),
    CloseCode.malformedMessage,
  ],
  [
    'an absurd length prefix',
    new Uint8Array([0, 2, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]),
    CloseCode.malformedMessage,
  ],
  [
    'an invalid Yjs update',
    frame((e) => {
      encoding.writeVarUint(e, 0);
      encoding.writeVarUint(e, 2);
      encoding.writeVarUint8Array(e, new Uint8Array([5, 200, 1, 99, 99, 99, 1, 2, 3]));
    }),
    CloseCode.malformedMessage,
  ],
  [
    'a sync step 1 with a garbage state vector',
    frame((e) => {
      encoding.writeVarUint(e, 0);
      encoding.writeVarUint(e, 0);
      encoding.writeVarUint8Array(e, new Uint8Array([9, 1]));
    }),
    CloseCode.malformedMessage,
  ],
  [
    'a malformed awareness update',
    frame((e) => {
      encoding.writeVarUint(e, 1);
      encoding.writeVarUint8Array(e, new Uint8Array([3, 1]));
    }),
    CloseCode.malformedMessage,
  ],
  ['a text frame', 'hello', CloseCode.malformedMessage],
  ['an oversized frame', new Uint8Array(MAX_FRAME + 1), CloseCode.messageTooLarge],
];

describe('malformed input closes only the offending connection', () => {
  for (const [label, payload, code] of cases) {
    it(`MAL1: ${label} → close ${code}; the server stays up and healthy clients are unaffected`, async () => {
      const raw = rawConnect(`${server.wsUrl}/product:bad?token=${token('mallory', 'editor')}`);
      await raw.opened;
      raw.ws.send(payload);
      const closed = await raw.closed;
      expect(closed.code).toBe(code);
      await healthyClientsStillSync();
    });
  }

  it('MAL2: a connection over its message budget is read more slowly: nothing it sent is dropped, it stays open', async () => {
    // 300 messages per second, 1,200 at once: 1,500 updates sent together exceed the budget.
    const limited = await startTestServer({ config: { maxMessagesPerSecond: 300 } });
    const observer = connect(limited, 'product:rate', token('obs', 'viewer'));
    try {
      await synced(observer);
      const raw = rawConnect(`${limited.wsUrl}/product:rate?token=${token('mallory', 'editor')}`);
      await raw.opened;
      const doc = new Y.Doc();
      const updates: Uint8Array[] = [];
      doc.on('update', (u: Uint8Array) => updates.push(u));
      const ctx = { clock: new HybridClock({ replicaId: 'mallory' }), writer: 'mallory' };
      for (let i = 0; i < 1500; i++) applyPatch(doc, productKind, { stock: { delta: 1 } }, ctx);
      const message = (u: Uint8Array) =>
        frame((e) => {
          encoding.writeVarUint(e, 0); // sync
          syncProtocol.writeUpdate(e, u);
        });
      for (const u of updates) raw.ws.send(message(u));
      await waitFor(
        () => materialize(observer.doc, productKind, 'rate').stock === 1500,
        'every update arrives',
        15_000,
      );
      expect(raw.ws.readyState).toBe(raw.ws.OPEN);
      const metrics = await api(limited, 'GET', '/metrics');
      expect(Number(/^concord_throttled_total (\d+)/m.exec(metrics.text)?.[1])).toBeGreaterThan(0);
      raw.ws.close();
    } finally {
      observer.destroy();
      await limited.close();
    }
  });

  it('MAL3: an update that would grow a document past the size limit is refused with an error, and the connection lives', async () => {
    const small = await startTestServer({ config: { maxDocBytes: 4_000 } });
    try {
      const c = connect(small, 'product:big', token('ann', 'editor'), { extensions: true });
      await synced(c);
      applyPatch(
        c.doc,
        productKind,
        { description: 'y'.repeat(5_000) },
        { clock: new HybridClock({ replicaId: 'ann' }), writer: 'ann' },
      );
      await waitFor(() => c.errors.some((e) => e.code === 'document_too_large'), 'size refusal');
      expect(c.provider.wsconnected).toBe(true);
      expect(
        (await api(small, 'GET', '/api/docs/product:big', { token: token('x', 'viewer') })).status,
      ).toBe(404);
      c.destroy();
    } finally {
      await small.close();
    }
  });
});
