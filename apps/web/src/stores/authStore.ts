/** Who is signed in. Kept in localStorage so the app starts signed in, also offline. */
import { createStore } from 'zustand/vanilla';
import type { SessionUser } from '../sync/permissions';

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
    signOut() {
      storage?.removeItem(KEY);
      store.setState({ token: undefined, user: undefined });
    },
  };
}

export type AuthStore = ReturnType<typeof createAuthStore>;
