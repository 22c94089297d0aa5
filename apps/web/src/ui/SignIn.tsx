import { useState } from 'react';
import { ApiClient, type AuthConfig } from '../api/client';
import type { AuthStore } from '../stores/authStore';
import type { Role, SessionUser } from '@concord/shared';
import { FormError, useSubmit } from './useSubmit';

const api = new ApiClient(() => undefined);

function failure(e: unknown): string {
  if (!navigator.onLine)
    return 'You are offline. Signing in needs the server once; afterwards Concord works offline.';
  return e instanceof Error ? e.message : String(e);
}

/**
 * Sign in with email and password. `previous` is the person whose session ended with edits still
 * unsent: signing in as them sends those edits; signing in as someone else keeps them here, unsent.
 */
export function SignIn({
  auth,
  config,
  previous,
  unsaved = 0,
  onCancel,
}: {
  auth: AuthStore;
  config: AuthConfig | undefined;
  previous?: SessionUser & { email?: string };
  unsaved?: number;
  onCancel?: () => void;
}) {
  const [email, setEmail] = useState(previous?.email ?? '');
  const [password, setPassword] = useState('');
  const { busy, error, onSubmit } = useSubmit(async () => {
    const result = await api.signIn(email.trim(), password);
    auth.signedIn(result.user, { accessExpiresAt: result.accessExpiresAt });
  }, failure);

  return (
    <main className="signin">
      <form className="card" onSubmit={onSubmit} aria-labelledby="signin-title">
        <h1 id="signin-title">Concord</h1>
        {previous ? (
          <p role="alert" className="banner">
            Your session ended. Sign in again as {previous.name}
            {unsaved > 0
              ? ` to save ${unsaved} ${unsaved === 1 ? 'change' : 'changes'} made on this device.`
              : '.'}{' '}
            Someone else signing in here will not see or send them.
          </p>
        ) : (
          <p className="muted">Catalog and profiles, offline or online.</p>
        )}
        <label htmlFor="signin-email">Email</label>
        <input
          id="signin-email"
          type="email"
          autoFocus
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          autoComplete="username"
        />
        <label htmlFor="signin-password">Password</label>
        <input
          id="signin-password"
          type="password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          autoComplete="current-password"
        />
        <FormError error={error} />
        <button type="submit" className="primary" disabled={busy || !email.trim() || !password}>
          {busy ? 'Signing in…' : config?.demo ? 'Sign in with email' : 'Sign in'}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Not now
          </button>
        )}
      </form>
      {config?.demo && !previous && <DemoSignIn auth={auth} />}
    </main>
  );
}

/** The demo sign-in (DEMO_AUTH=on only): any name, any role, no password. */
function DemoSignIn({ auth }: { auth: AuthStore }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('editor');
  const { busy, error, onSubmit } = useSubmit(
    async () => {
      const result = await api.demoSignIn(name.trim(), role);
      auth.signedIn(result.user, { token: result.token });
    },
    (e) => `Sign-in failed: ${failure(e)}`,
  );

  return (
    <form className="card demo" onSubmit={onSubmit} aria-labelledby="demo-title">
      <h2 id="demo-title">
        Demo sign-in <span className="badge warn">Demo mode</span>
      </h2>
      <p className="muted">
        This server runs in demo mode: anyone can sign in under any name and role. Never use it for
        real data.
      </p>
      <label htmlFor="signin-name">Your name</label>
      <input
        id="signin-name"
        required
        value={name}
        onChange={(e) => setName(e.target.value)}
        autoComplete="nickname"
      />
      <label htmlFor="signin-role">Role</label>
      <select id="signin-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
        <option value="viewer">Viewer (read only)</option>
        <option value="editor">Editor</option>
        <option value="admin">Admin</option>
      </select>
      <FormError error={error} />
      <button type="submit" className="primary" disabled={busy || !name.trim()}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}
