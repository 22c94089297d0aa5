/**
 * Single sign-on (SPEC ACC8): access tokens of an OpenID Connect provider, here a local one this
 * test serves itself (discovery document and JWKS), verified with its published keys, for the
 * configured issuer and audience, with the configured claim → role mapping.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import type { RunningServer } from '../src/server.js';
import { setUpAdmin, type CookieJar } from './accountHelpers.js';
import { api, startTestServer } from './helpers.js';

let provider: Server;
let issuer: string;
let key: CryptoKey;
let server: RunningServer;
let admin: CookieJar;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  key = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  provider = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration')
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    else if (req.url === '/jwks') res.end(JSON.stringify({ keys: [jwk] }));
    else res.writeHead(404).end('{}');
  });
  await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
  server = await startTestServer({
    config: {
      oidc: {
        issuer,
        audience: 'concord',
        roleClaim: 'groups',
        roleMap: { 'concord-admins': 'admin', staff: 'editor' },
        defaultRole: 'viewer',
      },
    },
  });
  admin = await setUpAdmin(server);
});
afterAll(async () => {
  await server.close();
  provider.close();
});

async function idpToken(
  claims: Record<string, unknown>,
  options: { audience?: string; issuer?: string; signWith?: CryptoKey; expiresIn?: string } = {},
) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(options.issuer ?? issuer)
    .setAudience(options.audience ?? 'concord')
    .setSubject(String(claims.sub ?? 'user-1'))
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '5m')
    .sign(options.signWith ?? key);
}

describe('single sign-on', () => {
  it('accepts the provider’s token, maps the groups claim to the highest role, and provisions an account', async () => {
    const token = await idpToken({
      sub: 'kc-42',
      name: 'Kai',
      email: 'kai@corp.example',
      groups: ['staff', 'other'],
    });
    const session = await api(server, 'GET', '/api/auth/session', { token });
    expect(session.status).toBe(200);
    expect(session.json.user).toMatchObject({
      name: 'Kai',
      role: 'editor',
      email: 'kai@corp.example',
    });
    const id = (session.json.user as { id: string }).id;
    expect(id).toMatch(/^o-/);
    expect(
      (await api(server, 'PATCH', '/api/docs/product:sso', { token, body: { name: 'From SSO' } }))
        .status,
    ).toBe(200);
    const admin = await idpToken({
      sub: 'kc-1',
      name: 'Boss',
      groups: ['concord-admins', 'staff'],
    });
    expect(
      (
        (await api(server, 'GET', '/api/auth/session', { token: admin })).json.user as {
          role: string;
        }
      ).role,
    ).toBe('admin');
    // The provider's groups change: the role follows.
    const demoted = await idpToken({
      sub: 'kc-42',
      name: 'Kai',
      email: 'kai@corp.example',
      groups: [],
    });
    expect(
      (
        (await api(server, 'GET', '/api/auth/session', { token: demoted })).json.user as {
          role: string;
        }
      ).role,
    ).toBe('viewer');
  });

  it('refuses a wrong audience, a wrong issuer, a foreign key, an expired token, and a disabled account', async () => {
    const other = await generateKeyPair('RS256');
    const cases = [
      await idpToken({ sub: 'x1' }, { audience: 'someone-else' }),
      await idpToken({ sub: 'x1' }, { issuer: 'https://evil.example' }),
      await idpToken({ sub: 'x1' }, { signWith: other.privateKey }),
      await idpToken({ sub: 'x1' }, { expiresIn: '-1m' }),
    ];
    for (const token of cases)
      expect((await api(server, 'GET', '/api/auth/session', { token })).status).toBe(401);
    const token = await idpToken({ sub: 'kc-77', name: 'Lee', groups: ['staff'] });
    const id = (
      (await api(server, 'GET', '/api/auth/session', { token })).json.user as { id: string }
    ).id;
    expect((await admin.call(server, 'PATCH', `/api/users/${id}`, { disabled: true })).status).toBe(
      200,
    );
    const refused = await api(server, 'GET', '/api/auth/session', { token });
    expect(refused.status).toBe(401);
    expect(refused.json.error).toMatch(/disabled/);
  });

  it('a provider token is not renewed by the server, and a claim value that is no mapped role gives none', async () => {
    const token = await idpToken({ sub: 'kc-88', name: 'Mo', groups: ['staff'] });
    expect((await api(server, 'GET', '/api/auth/session', { token })).status).toBe(200);
    expect((await api(server, 'POST', '/api/auth/refresh', { token })).status).toBe(401);
    const odd = await idpToken({
      sub: 'kc-89',
      name: 'Ode',
      groups: ['constructor', '__proto__', 'toString'],
    });
    const session = await api(server, 'GET', '/api/auth/session', { token: odd });
    expect(session.status).toBe(200);
    expect((session.json.user as { role: string }).role).toBe('viewer'); // the default role
  });
});
