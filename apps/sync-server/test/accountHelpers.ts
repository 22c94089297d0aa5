/**
 * A browser's cookie jar for HTTP tests of sessions: keeps what the server sets (name, value,
 * path, attributes) and sends back what a browser would send to a path.
 */
import type { RunningServer } from '../src/server.js';

interface Cookie {
  readonly value: string;
  readonly path: string;
  readonly attributes: string;
}

export class CookieJar {
  readonly cookies = new Map<string, Cookie>();

  header(path: string): string {
    return [...this.cookies]
      .filter(
        ([, c]) => path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`),
      )
      .map(([name, c]) => `${name}=${c.value}`)
      .join('; ');
  }

  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      const path = attrs.find((a) => /^path=/i.test(a))?.slice(5) ?? '/';
      const gone = attrs.some(
        (a) => /^max-age=0$/i.test(a) || /^expires=thu, 01 jan 1970/i.test(a),
      );
      if (gone || value === '') this.cookies.delete(name);
      else this.cookies.set(name, { value, path, attributes: attrs.join('; ') });
    }
  }

  value(name: string): string | undefined {
    return this.cookies.get(name)?.value;
  }

  async call(
    server: { url: string },
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const cookie = this.header(path.split('?')[0]!);
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    this.take(res);
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // empty or not JSON
    }
    return { status: res.status, json, res };
  }
}

export const ADMIN = {
  email: 'admin@example.com',
  name: 'Ada Admin',
  password: 'admin-password-1',
};

/** First-run setup through the API: the returned jar holds the admin's session. */
export async function setUpAdmin(server: RunningServer): Promise<CookieJar> {
  const jar = new CookieJar();
  const res = await jar.call(server, 'POST', '/api/auth/setup', {
    code: server.setupCode,
    ...ADMIN,
  });
  if (res.status !== 201)
    throw new Error(`setup failed: ${res.status} ${JSON.stringify(res.json)}`);
  return jar;
}

/** An admin creates a person with a password; returns their id. */
export async function createPerson(
  server: { url: string },
  admin: CookieJar,
  person: { email: string; name: string; role: 'viewer' | 'editor' | 'admin'; password: string },
): Promise<string> {
  const res = await admin.call(server, 'POST', '/api/users', person);
  if (res.status !== 201)
    throw new Error(`create failed: ${res.status} ${JSON.stringify(res.json)}`);
  return (res.json.user as { id: string }).id;
}

export async function signInJar(
  server: { url: string },
  email: string,
  password: string,
): Promise<CookieJar> {
  const jar = new CookieJar();
  const res = await jar.call(server, 'POST', '/api/auth/signin', { email, password });
  if (res.status !== 200)
    throw new Error(`sign-in failed: ${res.status} ${JSON.stringify(res.json)}`);
  return jar;
}
