import { useState, type FormEvent } from 'react';
import { ApiClient } from '../api/client';
import type { AuthStore } from '../stores/authStore';
import type { Role } from '@concord/shared';

export function SignIn({ auth }: { auth: AuthStore }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('editor');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const result = await new ApiClient(() => undefined).signIn(name.trim(), role);
      auth.signedIn(result.token, result.user);
    } catch (e) {
      setError(
        navigator.onLine
          ? `Sign-in failed: ${e instanceof Error ? e.message : String(e)}`
          : 'You are offline. Signing in needs the server once; afterwards Concord works offline.',
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="signin">
      <form className="card" onSubmit={(e) => void submit(e)}>
        <h1>Concord</h1>
        <p className="muted">Catalog and profiles, offline or online.</p>
        <label htmlFor="signin-name">Your name</label>
        <input
          id="signin-name"
          autoFocus
          required
          value={name}
          onChange={(e) => setName(e.target.value)}
          autoComplete="username"
        />
        <label htmlFor="signin-role">Role</label>
        <select id="signin-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
          <option value="viewer">Viewer (read only)</option>
          <option value="editor">Editor</option>
          <option value="admin">Admin</option>
        </select>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy || !name.trim()}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
