/**
 * Who is signed in, kept in localStorage so the app starts signed in, also offline. A browser
 * session with an account holds no token here: its tokens are httpOnly cookies the app cannot
 * read (only the demo sign-in keeps a bearer token). When the session can no longer be renewed,
 * the person stays "signed in" locally with `signInNeeded`, so their unsent edits stay visible
 * and are sent once they sign in again as the same person.
 */
import { createStore } from 'zustand/vanilla';
import type { SessionUser } from '@concord/shared';

type AuthMode = 'account' | 'demo';

export interface AuthState {
  readonly user: SessionUser | undefined;
  readonly mode: AuthMode | undefined;
  /** Demo sign-in only: the bearer token. */
  readonly token: string | undefined;
  /** When the current access token expires (ms since the epoch), for account sessions. */
  readonly accessExpiresAt: number | undefined;
  /** The session ended (expired, revoked, disabled): sign in again to send what is unsent. */
  readonly signInNeeded: boolean;
  /** When this person last signed in here: a new sign-in starts a new workspace. */
  readonly signedInAt: number;
}

const KEY = 'concord.auth';
const SIGNED_OUT: AuthState = {
  user: undefined,
  mode: undefined,
  token: undefined,
  accessExpiresAt: undefined,
  signInNeeded: false,
  signedInAt: 0,
};

function readSaved(storage: Pick<Storage, 'getItem'> | undefined): AuthState {
  try {
    const raw = storage?.getItem(KEY);
    if (raw) {
      const saved = JSON.parse(raw) as Partial<AuthState>;
      if (saved.user && (saved.mode === 'account' || (saved.mode === 'demo' && saved.token)))
        return { ...SIGNED_OUT, ...saved };
    }
  } catch {
    // unreadable: signed out
  }
  return SIGNED_OUT;
}

export function createAuthStore(
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | undefined,
  /** Where other tabs' sign-ins are heard (`window`): this tab follows who is signed in. */
  events?: Pick<Window, 'addEventListener'>,
) {
  const store = createStore<AuthState>(() => readSaved(storage));
  events?.addEventListener('storage', (event: StorageEvent) => {
    if (event.key !== KEY && event.key !== null) return;
    const saved = readSaved(storage);
    const current = store.getState();
    // Another person signed in (or everyone signed out) in another tab.
    if (saved.user?.id !== current.user?.id) store.setState(saved);
  });
  const save = (state: AuthState) => {
    storage?.setItem(KEY, JSON.stringify(state));
    store.setState(state);
  };
  return {
    store,
    /** Signed in with an account (cookies) or with the demo sign-in (a token). */
    signedIn(user: SessionUser, session: { accessExpiresAt: number } | { token: string }) {
      save({
        ...SIGNED_OUT,
        user,
        mode: 'token' in session ? 'demo' : 'account',
        token: 'token' in session ? session.token : undefined,
        accessExpiresAt: 'accessExpiresAt' in session ? session.accessExpiresAt : undefined,
        signedInAt: Date.now(),
      });
    },
    /** A renewed session for the same person (their role or name may have changed). */
    refreshed(user: SessionUser, session: { accessExpiresAt: number } | { token: string }) {
      const current = store.getState();
      if (!current.user || current.user.id !== user.id) return;
      save({
        ...current,
        user,
        signInNeeded: false,
        ...('token' in session
          ? { token: session.token }
          : { accessExpiresAt: session.accessExpiresAt }),
      });
    },
    /** The session cannot be renewed: keep the person and their edits, ask them to sign in. */
    sessionLost() {
      const current = store.getState();
      if (current.user && !current.signInNeeded) save({ ...current, signInNeeded: true });
    },
    signOut() {
      storage?.removeItem(KEY);
      store.setState(SIGNED_OUT);
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
