/**
 * The signed-in session as the sync engine sees it: the current bearer token (demo sign-in only;
 * an account session's tokens are httpOnly cookies) and a way to renew the session. Sessions are
 * renewed before the access token expires (at 80 % of its lifetime, when online), when the server
 * closed a connection for that reason (4501, 4401), and when an API call was refused with 401.
 * Sockets then reconnect and no edit is sent twice or lost. If the session cannot be renewed
 * (expired, signed out elsewhere, disabled), the auth store says so and the edits stay on this
 * device until the same person signs in again.
 */
import { ApiError, type ApiClient } from '../api/client';
import { tokenTimes, type AuthStore } from '../stores/authStore';
import type { OnlineManager } from './onlineManager';

export interface SessionAuth {
  /** The bearer token for URLs and headers; empty for a cookie session. */
  token(): string;
  /** Renew the session; false when it cannot be renewed (sign in again). */
  refresh(): Promise<boolean>;
  /** Called after each renewal, with the new bearer token (empty for a cookie session). */
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
      // Back online after a while: renew first if the access token is (nearly) spent.
      if (up) this.schedule();
    });
    this.schedule();
  }

  token(): string {
    return this.auth.store.getState().token ?? '';
  }

  refresh(): Promise<boolean> {
    this.inflight ??= this.renew()
      .then(() => {
        for (const l of [...this.listeners]) l(this.token());
        this.schedule();
        return true;
      })
      .catch((error: unknown) => {
        // 401/403: the session is over; anything else (offline, 5xx): try again later.
        if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
          this.auth.sessionLost();
        } else {
          this.schedule(30_000);
        }
        return false;
      })
      .finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async renew(): Promise<void> {
    const state = this.auth.store.getState();
    if (state.mode === 'demo') {
      const result = await this.api.refresh();
      this.auth.refreshed(result.user, { token: result.token });
    } else {
      const result = await this.api.refreshSession();
      if (result.user.id !== state.user?.id) {
        // The browser's session is someone else's now (they signed in in another tab).
        throw new ApiError(401, 'signed in as someone else in another tab');
      }
      this.auth.refreshed(result.user, { accessExpiresAt: result.accessExpiresAt });
    }
  }

  subscribe(listener: (token: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** When to renew: at 80 % of a demo token's life; a minute before an access token expires. */
  private due(): number | undefined {
    const state = this.auth.store.getState();
    if (state.signInNeeded) return undefined;
    if (state.mode === 'demo') {
      const times = tokenTimes(this.token());
      if (!times) return undefined;
      return times.issuedAt + (times.expiresAt - times.issuedAt) * 0.8 - Date.now();
    }
    if (state.accessExpiresAt === undefined) return undefined;
    const left = state.accessExpiresAt - Date.now();
    return left - Math.min(60_000, left * 0.2);
  }

  private schedule(delayMs?: number): void {
    clearTimeout(this.timer);
    const due = delayMs ?? this.due();
    if (due === undefined) return;
    // Timers hold at most ~24.8 days.
    this.timer = setTimeout(
      () => {
        if (this.online.isOnline()) void this.refresh();
      },
      Math.min(Math.max(0, due), 2 ** 31 - 1),
    );
  }

  destroy(): void {
    clearTimeout(this.timer);
    this.unsubscribe();
    this.listeners.clear();
  }
}
