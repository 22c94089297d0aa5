/**
 * The signed-in session as the sync engine sees it: the current access token, and a way to get a
 * fresh one. Tokens are refreshed before they expire (at 80 % of their lifetime, when online) and
 * on demand when the server closed a connection because its token expired (4501), so sockets
 * reconnect with a valid token and no edit is sent twice or lost. If refreshing fails, the edits
 * stay on this device until the person signs in again.
 */
import { ApiError, type ApiClient } from '../api/client';
import { tokenTimes, type AuthStore } from '../stores/authStore';
import type { OnlineManager } from './onlineManager';

export interface SessionAuth {
  token(): string;
  /** Get a fresh token; false when the session cannot be renewed (sign in again). */
  refresh(): Promise<boolean>;
  /** Called with each new token. */
  subscribe(listener: (token: string) => void): () => void;
}

export class TokenRefresher implements SessionAuth {
  private inflight: Promise<boolean> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners = new Set<(token: string) => void>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly auth: AuthStore,
    private readonly api: ApiClient,
    private readonly online: OnlineManager,
  ) {
    this.unsubscribe = online.subscribe((up) => {
      if (up) this.schedule();
    });
    this.schedule();
  }

  token(): string {
    return this.auth.store.getState().token ?? '';
  }

  refresh(): Promise<boolean> {
    this.inflight ??= this.api
      .refresh()
      .then((result) => {
        this.auth.setToken(result.token);
        for (const l of [...this.listeners]) l(result.token);
        this.schedule();
        return true;
      })
      .catch((error: unknown) => {
        // 401: the token expired or was revoked; anything else: try again later.
        if (!(error instanceof ApiError && error.status === 401)) this.schedule(30_000);
        return false;
      })
      .finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  subscribe(listener: (token: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private schedule(delayMs?: number): void {
    clearTimeout(this.timer);
    const times = tokenTimes(this.token());
    if (!times) return;
    const { issuedAt, expiresAt } = times;
    const due = delayMs ?? Math.max(0, issuedAt + (expiresAt - issuedAt) * 0.8 - Date.now());
    // Timers hold at most ~24.8 days.
    this.timer = setTimeout(
      () => {
        if (this.online.isOnline()) void this.refresh();
      },
      Math.min(due, 2 ** 31 - 1),
    );
  }

  destroy(): void {
    clearTimeout(this.timer);
    this.unsubscribe();
    this.listeners.clear();
  }
}
