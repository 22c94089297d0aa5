import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  CloseCode,
  HybridClock,
  ReasonCode,
  applyPatch,
  documentKinds,
  materialize,
  parseDocName,
} from '@concord/shared';
import type { Role } from '../src/auth/tokens.js';
import { signTestToken, testToken } from './tokens.js';
import type { RunningServer } from '../src/server.js';
import {
  SECRET,
  api,
  connect,
  rawConnect,
  startTestServer,
  synced,
  token,
  waitFor,
} from './helpers.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer();
  // Seed each document so reads have something to return.
  const admin = token('root', 'admin');
  for (const doc of ['product:auth', 'profile:alice', 'profile:bob']) {
    const patch = doc.startsWith('product') ? { name: 'Seed' } : { displayName: 'Seed' };
    expect(
      (await api(server, 'PATCH', `/api/docs/${doc}`, { token: admin, body: patch })).status,
    ).toBe(200);
  }
});
afterAll(async () => {
  await server.close();
});

// Who may write what: [role, user, document] → allowed
const matrix: [Role, string, string, boolean][] = [
  ['viewer', 'alice', 'product:auth', false],
  ['viewer', 'alice', 'profile:alice', false],
  ['viewer', 'alice', 'profile:bob', false],
  ['editor', 'alice', 'product:auth', true],
  ['editor', 'alice', 'profile:alice', true],
  ['editor', 'alice', 'profile:bob', false],
  ['admin', 'alice', 'product:auth', true],
  ['admin', 'alice', 'profile:alice', true],
  ['admin', 'alice', 'profile:bob', true],
];

const field = (doc: string) => (doc.startsWith('product') ? 'name' : 'displayName');

describe('auth matrix: role × document kind × read/write', () => {
  for (const [role, user, doc, allowed] of matrix) {
    it(`AUTH1 WebSocket: ${role} ${user} ${allowed ? 'may' : 'may not'} write ${doc}; reading is allowed`, async () => {
      const client = connect(server, doc, token(user, role), { extensions: true });
      await synced(client);
      const parsed = parseDocName(doc);
      if (!parsed.ok) throw new Error(parsed.error);
      const kind = documentKinds[parsed.name.kind];
      const before = await api(server, 'GET', `/api/docs/${doc}`, {
        token: token('admin', 'admin'),
      });
      expect(materialize(client.doc, kind, parsed.name.id)).toEqual(before.json); // reading works for every role
      const value = `WS ${role} ${Date.now()}`;
      applyPatch(
        client.doc,
        kind,
        { [field(doc)]: value },
        { clock: new HybridClock({ replicaId: user }), writer: user },
      );
      if (allowed) {
        await waitFor(() => client.saved(), 'write acknowledged');
      } else {
        await waitFor(() => client.errors.length > 0, 'refusal error');
        expect(client.errors[0]!.code).toBe(ReasonCode.readOnly);
      }
      const read = await api(server, 'GET', `/api/docs/${doc}`, {
        token: token('someone', 'viewer'),
      });
      expect(read.status).toBe(200);
      expect(read.json[field(doc)] === value).toBe(allowed);
      client.destroy();
    });

    it(`AUTH2 HTTP: ${role} ${user} PATCH ${doc} → ${allowed ? 200 : 403}; GET → 200`, async () => {
      const value = `HTTP ${role} ${Date.now()}`;
      const res = await api(server, 'PATCH', `/api/docs/${doc}`, {
        token: token(user, role),
        body: { [field(doc)]: value },
      });
      expect(res.status).toBe(allowed ? 200 : 403);
      if (!allowed) expect(String(res.json.error)).toMatch(/viewers|only bob|not allowed/);
      const read = await api(server, 'GET', `/api/docs/${doc}`, { token: token(user, role) });
      expect(read.status).toBe(200);
      expect(read.json[field(doc)] === value).toBe(allowed);
    });
  }

  const badTokens: [string, string | undefined][] = [
    ['no token', undefined],
    ['garbage', 'not.a.jwt'],
    ['wrong secret', testToken('another-secret-of-some-length', 'alice', 'admin')],
    ['expired', testToken(SECRET, 'alice', 'admin', -60)],
    ['unknown role', testToken(SECRET, 'alice', 'owner')],
    ['no expiry (exp)', signTestToken(SECRET, { sub: 'alice', role: 'admin' })],
    ['a subject that is no user id', testToken(SECRET, 'al\u0000ice', 'admin')],
    [
      'HS512 instead of HS256',
      signTestToken(SECRET, { sub: 'alice', role: 'admin', exp: 2e9 }, { alg: 'HS512' }),
    ],
    [
      'an expiry (exp) that is no number',
      signTestToken(SECRET, { sub: 'a', role: 'admin', exp: '2099' }),
    ],
    [
      'not valid yet (nbf)',
      signTestToken(SECRET, { sub: 'a', role: 'admin', exp: 2e9, nbf: 2e9 - 1 }),
    ],
    ['no subject (sub)', signTestToken(SECRET, { role: 'admin', exp: 2e9 })],
    [
      'a critical header extension nobody knows',
      signTestToken(
        SECRET,
        { sub: 'a', role: 'admin', exp: 2e9 },
        { alg: 'HS256', crit: ['x'], x: 1 },
      ),
    ],
    [
      'alg none',
      `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"a","role":"admin"}').toString('base64url')}.`,
    ],
  ];
  for (const [label, tok] of badTokens) {
    it(`AUTH3: ${label}: the socket is closed with 4401 before any document data is sent; HTTP says 401`, async () => {
      const url = `${server.wsUrl}/product:auth${tok ? `?token=${encodeURIComponent(tok)}` : ''}`;
      const raw = rawConnect(url);
      const closed = await raw.closed;
      expect(closed.code).toBe(CloseCode.unauthorized);
      expect(raw.messages).toEqual([]);
      const res = await api(server, 'GET', '/api/docs/product:auth', tok ? { token: tok } : {});
      expect(res.status).toBe(401);
    });
  }

  it('AUTH4: an invalid document name is refused with 4404 before any data', async () => {
    const raw = rawConnect(`${server.wsUrl}/invoice:1?token=${token('alice', 'admin')}`);
    expect((await raw.closed).code).toBe(CloseCode.invalidDocName);
    expect(raw.messages).toEqual([]);
  });
});

describe('read-only clients that change nothing', () => {
  it('AUTH5: a viewer syncing a document with deletions (whose sync step 2 carries a delete set) gets no refusal', async () => {
    const editor = connect(server, 'product:deleted', token('ed', 'editor'), { extensions: true });
    await synced(editor);
    const clock = new HybridClock({ replicaId: 'ed' });
    for (const text of ['first words', 'second', 'third try']) {
      applyPatch(
        editor.doc,
        documentKinds.product,
        { name: text, description: text },
        { clock, writer: 'ed' },
      );
    }
    await waitFor(() => editor.saved(), 'editor saved');
    // The viewer already holds the document (from its local store), as the web app does.
    const local = new Y.Doc();
    Y.applyUpdate(local, Y.encodeStateAsUpdate(editor.doc));
    const viewer = connect(server, 'product:deleted', token('vi', 'viewer'), {
      extensions: true,
      doc: local,
    });
    await synced(viewer);
    // Messages of one connection are handled in order: once the editor sees the viewer's
    // presence, the server has handled the viewer's sync step 2.
    viewer.provider.awareness.setLocalStateField('user', { name: 'Vi' });
    await waitFor(
      () => editor.provider.awareness.getStates().has(viewer.doc.clientID),
      'viewer presence relayed',
    );
    expect(viewer.errors).toEqual([]);
    expect(materialize(viewer.doc, documentKinds.product, 'deleted').name).toBe('third try');
    viewer.destroy();
    editor.destroy();
  });
});
