/** Who is signed in. Kept in localStorage so the app starts signed in, also offline. */
import { createStore } from 'zustand/vanilla';
import type { SessionUser } from '@concord/shared';

export interface AuthState {
  readonly token: string | undefined;
  readonly user: SessionUser | undefined;
}

const KEY = 'concord.auth';

function readSaved(storage: Pick<Storage, 'getItem'> | undefined): AuthState {
  try {
    const raw = storage?.getItem(KEY);
    if (raw) {
      const saved = JSON.parse(raw) as AuthState;
      if (saved.token && saved.user) return saved;
    }
  } catch {
    // unreadable: signed out
  }
  return { token: undefined, user: undefined };
}

export function createAuthStore(
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | undefined,
) {
  const store = createStore<AuthState>(() => readSaved(storage));
  return {
    store,
    signedIn(token: string, user: SessionUser) {
      storage?.setItem(KEY, JSON.stringify({ token, user }));
      store.setState({ token, user });
    },
    /** A fresh token for the same user (refresh). */
    setToken(token: string) {
      const user = store.getState().user;
      if (!user) return;
      storage?.setItem(KEY, JSON.stringify({ token, user }));
      store.setState({ token, user });
    },
    signOut() {
      storage?.removeItem(KEY);
      store.setState({ token: undefined, user: undefined });
    },
  };
}

export type AuthStore = ReturnType<typeof createAuthStore>;

/** When a token was issued and expires (ms since the epoch), from its payload. */
export function tokenTimes(token: string): { issuedAt: number; expiresAt: number } | undefined {
  try {
    const part = token.split('.')[1] ?? '';
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const { iat, exp } = JSON.parse(json) as { iat?: unknown; exp?: unknown };
    if (typeof exp !== 'number') return undefined;
    return { issuedAt: (typeof iat === 'number' ? iat : exp) * 1000, expiresAt: exp * 1000 };
  } catch {
    return undefined;
  }
}
