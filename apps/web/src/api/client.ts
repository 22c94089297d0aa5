/** The server's HTTP API (apps/sync-server/README.md), over relative URLs (same origin). */
import type { HistoryPage, Role, SessionUser } from '@concord/shared';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface SignInResult {
  readonly token: string;
  readonly user: SessionUser;
}

export interface DocListEntry {
  readonly doc: string;
  readonly version: number;
  readonly updatedAt: string | number;
}

export interface SyncAnswer {
  readonly docs: Record<string, { update: string; version: number }>;
}

export class ApiClient {
  constructor(
    private readonly token: () => string | undefined,
    private readonly fetchImpl: typeof fetch = (...args) => fetch(...args),
    private readonly base = '',
  ) {}

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    const token = this.token();
    if (token) headers.Authorization = `Bearer ${token}`;
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
      throw new ApiError(res.status, message);
    }
    return data as T;
  }

  signIn(name: string, role: Role): Promise<SignInResult> {
    return this.request('POST', '/api/auth/demo', { name, role });
  }

  /** A fresh token for the signed-in user (the current one must still be valid). */
  refresh(): Promise<SignInResult> {
    return this.request('POST', '/api/auth/refresh');
  }

  listDocs(kind: 'product' | 'profile'): Promise<DocListEntry[]> {
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

  docAt(doc: string, version: number): Promise<Record<string, unknown>> {
    return this.request('GET', `/api/docs/${encodeURIComponent(doc)}?at=${version}`);
  }

  restore(doc: string, version: number): Promise<unknown> {
    return this.request('POST', `/api/docs/${encodeURIComponent(doc)}/restore`, { version });
  }
}
