import { useEffect, useState } from 'react';
import { ApiClient } from '../api/client';
import type { AuthStore } from '../stores/authStore';
import { useHashParam } from './hooks';
import { FormError, useSubmit } from './useSubmit';

const api = new ApiClient(() => undefined);

/** First run: create the first administrator with the code the server printed at start. */
export function Setup({ auth, minPassword }: { auth: AuthStore; minPassword: number }) {
  const linked = useHashParam('code');
  const [code, setCode] = useState(linked);
  useEffect(() => {
    if (linked) setCode(linked);
  }, [linked]);
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, onSubmit } = useSubmit(async () => {
    const result = await api.setup(code.trim(), email.trim(), name.trim(), password);
    window.location.hash = '#/';
    auth.signedIn(result.user, { accessExpiresAt: result.accessExpiresAt });
  });

  return (
    <main className="signin">
      <form className="card" onSubmit={onSubmit} aria-labelledby="setup-title">
        <h1 id="setup-title">Create the first administrator</h1>
        <p className="muted">
          Concord has no accounts yet. The server printed a setup link with a one-time code when it
          started; open that link or paste the code here.
        </p>
        <label htmlFor="setup-code">Setup code</label>
        <input id="setup-code" required value={code} onChange={(e) => setCode(e.target.value)} />
        <label htmlFor="setup-name">Your name</label>
        <input
          id="setup-name"
          required
          value={name}
          onChange={(e) => setName(e.target.value)}
          autoComplete="name"
        />
        <label htmlFor="setup-email">Email</label>
        <input
          id="setup-email"
          type="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          autoComplete="username"
        />
        <label htmlFor="setup-password">Password</label>
        <input
          id="setup-password"
          type="password"
          required
          minLength={minPassword}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          autoComplete="new-password"
        />
        <p className="muted">At least {minPassword} characters.</p>
        <FormError error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create administrator'}
        </button>
      </form>
    </main>
  );
}

/** A one-time link (invitation or password reset): choose a password, then you are signed in. */
export function ChoosePassword({ auth, minPassword }: { auth: AuthStore; minPassword: number }) {
  const token = useHashParam('token');
  const [password, setPassword] = useState('');
  const { busy, error, onSubmit } = useSubmit(async () => {
    const result = await api.useLink(token, password);
    window.location.hash = '#/';
    auth.signedIn(result.user, { accessExpiresAt: result.accessExpiresAt });
  });

  return (
    <main className="signin">
      <form className="card" onSubmit={onSubmit} aria-labelledby="link-title">
        <h1 id="link-title">Choose your password</h1>
        <label htmlFor="link-password">New password</label>
        <input
          id="link-password"
          type="password"
          required
          autoFocus
          minLength={minPassword}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          autoComplete="new-password"
        />
        <p className="muted">At least {minPassword} characters.</p>
        <FormError error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Set password and sign in'}
        </button>
      </form>
    </main>
  );
}
