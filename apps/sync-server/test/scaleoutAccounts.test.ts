/**
 * Accounts across instances on the real PostgreSQL and Redis (SPEC ACC6): a person signs in on one
 * instance and works on another; an admin's change on the first closes their sockets on the
 * second within a second, and their next call there is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '@concord/shared';
import type { ScaleOutServer } from '../src/scale/scaleOut.js';
import { createPerson, setUpAdmin, signInJar, type CookieJar } from './accountHelpers.js';
import { api, connect, rawConnect, synced, waitFor } from './helpers.js';
import { dropRedisPrefix, dropSchema, startInstance, uniqueName } from './scaleHelpers.js';

const schema = uniqueName('concord_test');
const prefix = `${uniqueName('concord_test')}:`;
let a: ScaleOutServer;
let b: ScaleOutServer;
let admin: CookieJar;

beforeAll(async () => {
  a = await startInstance(schema, prefix);
  b = await startInstance(schema, prefix);
  admin = await setUpAdmin(a);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
  await dropSchema(schema);
  await dropRedisPrefix(prefix);
});

describe('live account changes across instances', () => {
  it('ACC6: disabled on instance A, the person’s socket on instance B closes within a second', async () => {
    const person = {
      email: 'dee@x.io',
      name: 'Dee',
      role: 'editor' as const,
      password: 'dee-password-1',
    };
    const id = await createPerson(a, admin, person);
    const dee = await signInJar(b, person.email, person.password);
    expect((await dee.call(b, 'GET', '/api/docs')).status).toBe(200);
    const socket = rawConnect(`${b.wsUrl}/product:so-acc`, { cookie: dee.header('/') });
    await socket.opened;
    const t0 = Date.now();
    expect((await admin.call(a, 'PATCH', `/api/users/${id}`, { disabled: true })).status).toBe(200);
    const closed = await socket.closed;
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(closed.code).toBe(CloseCode.unauthorized);
    expect((await dee.call(b, 'GET', '/api/docs')).status).toBe(401);
  });

  it('ACC6: a role change on B reaches a socket on A; a sign-out on A ends the session’s token on B', async () => {
    const person = {
      email: 'eli@x.io',
      name: 'Eli',
      role: 'editor' as const,
      password: 'eli-password-1',
    };
    const id = await createPerson(a, admin, person);
    const signed = await api(a, 'POST', '/api/auth/token', {
      body: { email: person.email, password: person.password },
    });
    const token = String(signed.json.token);
    const client = connect(a, 'product:so-role', token, { extensions: true });
    await synced(client);
    const adminOnB = await signInJar(b, 'admin@example.com', 'admin-password-1');
    expect((await adminOnB.call(b, 'PATCH', `/api/users/${id}`, { role: 'viewer' })).status).toBe(
      200,
    );
    await waitFor(
      () => client.closes.some((c) => c.code === CloseCode.sessionExpired),
      'closed on A',
      1_000,
    );
    client.destroy();
    expect(
      (await api(a, 'PATCH', '/api/docs/product:so-role', { token, body: { name: 'x' } })).status,
    ).toBe(403);
    // Signing out on A (by bearer token) ends this session on B too.
    expect((await api(b, 'GET', '/api/docs', { token })).status).toBe(200);
    expect((await api(a, 'POST', '/api/auth/signout', { token })).status).toBe(204);
    // The announcement crosses Redis: B refuses the token within a second.
    await waitFor(
      async () => (await api(b, 'GET', '/api/docs', { token })).status === 401,
      'B refuses the signed-out session',
      1_000,
    );
  });
});
