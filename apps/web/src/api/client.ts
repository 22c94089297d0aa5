/** The server's HTTP API (apps/sync-server/README.md), over relative URLs (same origin). */
import {
  EXPECTED_USER_HEADER,
  type DocumentKindName,
  type FieldChange,
  type HistoryPage,
  type HistorySession,
  type Role,
  type SessionUser,
} from '@concord/shared';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    /** The error answer's body (`{error, code?, …}`). */
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** An order as the server placed it: its ledger record (none while a draft). */
export interface Placement {
  readonly placement: {
    readonly state: string;
    readonly reason?: string;
    readonly reservations: readonly { product: string; quantity: number; state: string }[];
  } | null;
}

export interface StockLevel {
  readonly product: string;
  readonly onHand: number;
  readonly reserved: number;
  readonly available: number;
}

/** The demo sign-in's answer: a bearer token. */
export interface SignInResult {
  readonly token: string;
  readonly user: SessionUser;
}

/** An account session's answer: the tokens are cookies; the app learns who and until when. */
export interface SessionResult {
  readonly user: SessionUser & { readonly email?: string };
  readonly accessExpiresAt: number;
}

export interface AuthConfig {
  readonly demo: boolean;
  readonly setupRequired: boolean;
  readonly sso: string | null;
  readonly password: { readonly min: number; readonly max: number };
}

export interface SessionsPage {
  readonly doc: string;
  readonly version: number;
  readonly sessions: readonly (HistorySession & { readonly continues?: boolean })[];
  readonly next: number | null;
}

export interface UserEntry {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly role: Role;
  readonly disabled: boolean;
  readonly invited: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface AuthEventEntry {
  readonly seq: number;
  readonly ts: number;
  readonly type: string;
  readonly actor?: string;
  readonly subject: string;
  readonly address?: string;
  readonly detail?: string;
}

export interface DocListEntry {
  readonly doc: string;
  readonly version: number;
  readonly updatedAt: number;
}

export interface SyncAnswer {
  readonly docs: Record<string, { update: string; version: number }>;
}

export class ApiClient {
  private readonly fetchImpl: typeof fetch;
  private readonly base: string;

  constructor(
    private readonly token: () => string | undefined,
    private readonly options: {
      readonly fetchImpl?: typeof fetch;
      readonly base?: string;
      /** Called on a 401 from a non-auth route: renew the session; true to try once more. */
      readonly renew?: () => Promise<boolean>;
      /** Whom this app is signed in as: the server refuses calls made as anyone else. */
      readonly user?: () => string | undefined;
    } = {},
  ) {
    this.fetchImpl = options.fetchImpl ?? ((...args) => fetch(...args));
    this.base = options.base ?? '';
  }

  private async request<T>(
    method: string,
    path: string,
    body?: unknown,
    extra: Record<string, string> = {},
  ): Promise<T> {
    try {
      return await this.once<T>(method, path, body, extra);
    } catch (error) {
      if (
        error instanceof ApiError &&
        error.status === 401 &&
        this.options.renew &&
        !path.startsWith('/api/auth/') &&
        (await this.options.renew())
      )
        return this.once<T>(method, path, body, extra);
      throw error;
    }
  }

  private async once<T>(
    method: string,
    path: string,
    body?: unknown,
    extra: Record<string, string> = {},
  ): Promise<T> {
    const headers: Record<string, string> = { ...extra };
    const token = this.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    const user = this.options.user?.();
    if (user) headers[EXPECTED_USER_HEADER] = user;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await this.fetchImpl(`${this.base}${path}`, {
      method,
      headers,
      cache: 'no-store',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let data: unknown = undefined;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = text;
    }
    if (!res.ok) {
      const message =
        typeof data === 'object' && data !== null && 'error' in data
          ? String((data as { error: unknown }).error)
          : `${method} ${path} failed with ${res.status}`;
      throw new ApiError(
        res.status,
        message,
        typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {},
      );
    }
    return data as T;
  }

  authConfig(): Promise<AuthConfig> {
    return this.request('GET', '/api/auth/config');
  }

  signIn(email: string, password: string): Promise<SessionResult> {
    return this.request('POST', '/api/auth/signin', { email, password });
  }

  setup(code: string, email: string, name: string, password: string): Promise<SessionResult> {
    return this.request('POST', '/api/auth/setup', { code, email, name, password });
  }

  /** Choose a password through a one-time link (invitation or reset); signs in. */
  useLink(token: string, password: string): Promise<SessionResult> {
    return this.request('POST', '/api/auth/link', { token, password });
  }

  changePassword(current: string, next: string): Promise<SessionResult> {
    return this.request('POST', '/api/auth/password', { current, next });
  }

  demoSignIn(name: string, role: Role): Promise<SignInResult> {
    return this.request('POST', '/api/auth/demo', { name, role });
  }

  /** Renews the session: the cookie's refresh token rotates, a new access cookie is set. */
  refreshSession(): Promise<SessionResult> {
    return this.request('POST', '/api/auth/refresh');
  }

  /** A fresh demo token (the current one must still be valid). */
  refresh(): Promise<SignInResult> {
    return this.request('POST', '/api/auth/refresh');
  }

  signOut(): Promise<void> {
    return this.request('POST', '/api/auth/signout');
  }

  listUsers(search = '', after?: string): Promise<{ users: UserEntry[]; next: string | null }> {
    const q = new URLSearchParams({ ...(search ? { search } : {}), ...(after ? { after } : {}) });
    return this.request('GET', `/api/users?${q.toString()}`);
  }

  createUser(person: {
    email: string;
    name: string;
    role: Role;
    password?: string;
  }): Promise<{ user: UserEntry; inviteUrl?: string }> {
    return this.request('POST', '/api/users', person);
  }

  updateUser(
    id: string,
    patch: { name?: string; role?: Role; disabled?: boolean; password?: string },
  ): Promise<{ user: UserEntry }> {
    return this.request('PATCH', `/api/users/${encodeURIComponent(id)}`, patch);
  }

  resetLink(id: string): Promise<{ url: string }> {
    return this.request('POST', `/api/users/${encodeURIComponent(id)}/reset-link`);
  }

  authEvents(user?: string): Promise<{ events: AuthEventEntry[] }> {
    return this.request(
      'GET',
      `/api/auth/events${user ? `?user=${encodeURIComponent(user)}` : ''}`,
    );
  }

  /** Places an order (a server command); `key` makes a retried request place it once. */
  placeOrder(id: string, key: string): Promise<Placement> {
    return this.request('POST', `/api/orders/${encodeURIComponent(id)}/place`, undefined, {
      'Idempotency-Key': key,
    });
  }

  cancelOrder(id: string): Promise<Placement> {
    return this.request('POST', `/api/orders/${encodeURIComponent(id)}/cancel`);
  }

  fulfilOrder(id: string): Promise<Placement> {
    return this.request('POST', `/api/orders/${encodeURIComponent(id)}/fulfil`);
  }

  /** On hand, reserved and available, per product. */
  stock(products: readonly string[]): Promise<StockLevel[]> {
    return this.request('GET', `/api/stock?products=${products.map(encodeURIComponent).join(',')}`);
  }

  listDocs(kind: DocumentKindName): Promise<DocListEntry[]> {
    return this.request('GET', `/api/docs?kind=${kind}`);
  }

  sync(docs: Record<string, string>): Promise<SyncAnswer> {
    return this.request('POST', '/api/sync', { docs });
  }

  /** The audit trail, newest first, one page at a time (`before`: the previous page's `next`). */
  history(doc: string, before?: number): Promise<HistoryPage> {
    const query = before ? `?before=${before}` : '';
    return this.request('GET', `/api/docs/${encodeURIComponent(doc)}/history${query}`);
  }

  /** Editing sessions, newest first (`before`: the previous page's `next`), optionally filtered. */
  sessions(
    doc: string,
    query: { before?: number; field?: string; user?: string; limit?: number } = {},
  ): Promise<SessionsPage> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query))
      if (v !== undefined && v !== '') q.set(k, String(v));
    const qs = q.toString();
    return this.request(
      'GET',
      `/api/docs/${encodeURIComponent(doc)}/sessions${qs ? `?${qs}` : ''}`,
    );
  }

  /** Who last changed each field (from the server's blame index). */
  blame(doc: string): Promise<{
    version: number;
    fields: Record<
      string,
      { seq: number; user: string; ts: number; kind: string; change: FieldChange }
    >;
  }> {
    return this.request('GET', `/api/docs/${encodeURIComponent(doc)}/blame`);
  }

  /** The entries with `after` < seq < `before`, newest first (a session's own changes). */
  historyBetween(doc: string, after: number, before: number): Promise<HistoryPage> {
    return this.request(
      'GET',
      `/api/docs/${encodeURIComponent(doc)}/history?after=${after}&before=${before}&limit=500`,
    );
  }

  docAt(doc: string, version: number): Promise<Record<string, unknown>> {
    return this.request('GET', `/api/docs/${encodeURIComponent(doc)}?at=${version}`);
  }

  /** Undo one field's change in `fromSeq`..`seq` as a new edit (409 `changed_since` unless forced). */
  revert(
    doc: string,
    change: { seq: number; field: string; fromSeq?: number; force?: boolean },
  ): Promise<unknown> {
    return this.request('POST', `/api/docs/${encodeURIComponent(doc)}/revert`, change);
  }

  restore(doc: string, version: number): Promise<unknown> {
    return this.request('POST', `/api/docs/${encodeURIComponent(doc)}/restore`, { version });
  }
}
