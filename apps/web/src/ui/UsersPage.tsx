import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { Role } from '@concord/shared';
import type { AuthEventEntry, UserEntry } from '../api/client';
import type { Workspace } from '../sync/workspace';

const ROLE_LABEL: Record<Role, string> = { viewer: 'Viewer', editor: 'Editor', admin: 'Admin' };

/** User administration (admins): find, create or invite, change role, disable, reset password. */
export function UsersPage({ workspace }: { workspace: Workspace }) {
  const api = workspace.api;
  const [search, setSearch] = useState('');
  const [users, setUsers] = useState<UserEntry[]>();
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [events, setEvents] = useState<AuthEventEntry[]>([]);

  const load = useCallback(async () => {
    try {
      const [list, log] = await Promise.all([api.listUsers(search), api.authEvents()]);
      setUsers(list.users);
      setEvents(log.events.slice(0, 20));
      setError(undefined);
    } catch (e) {
      setError(`Users could not be loaded: ${e instanceof Error ? e.message : String(e)}`);
    }
  }, [api, search]);

  useEffect(() => {
    void load();
  }, [load]);

  async function act(work: () => Promise<unknown>, done?: string) {
    setError(undefined);
    setNotice(undefined);
    try {
      await work();
      if (done) setNotice(done);
      await load();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }

  const link = (path: string) => `${location.origin}/${path.replace(/^\//, '')}`;
  const names = new Map((users ?? []).map((u) => [u.id, u.name]));

  return (
    <section aria-labelledby="users-title" className="users">
      <h1 id="users-title">Users</h1>
      <NewUser
        onCreate={(person) =>
          act(async () => {
            const result = await api.createUser(person);
            setNotice(
              result.inviteUrl
                ? `Invitation for ${result.user.email}: ${link(result.inviteUrl)}`
                : `${result.user.name} can now sign in as ${result.user.email}.`,
            );
          })
        }
      />
      <label htmlFor="users-search">Search users</label>
      <input
        id="users-search"
        type="search"
        value={search}
        onChange={(e) => setSearch(e.target.value)}
        placeholder="Name or email"
      />
      {notice && (
        <p role="status" className="banner notice">
          {notice}
        </p>
      )}
      {error && (
        <p role="alert" className="banner error">
          {error}
        </p>
      )}
      {!users ? (
        <p className="loading">Loading users…</p>
      ) : (
        <table className="users-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id} aria-label={u.name}>
                <td>{u.name}</td>
                <td>{u.email}</td>
                <td>
                  <select
                    aria-label={`Role of ${u.name}`}
                    value={u.role}
                    onChange={(e) =>
                      void act(
                        () => api.updateUser(u.id, { role: e.target.value as Role }),
                        `${u.name} is now ${ROLE_LABEL[e.target.value as Role].toLowerCase()}.`,
                      )
                    }
                  >
                    {(Object.keys(ROLE_LABEL) as Role[]).map((r) => (
                      <option key={r} value={r}>
                        {ROLE_LABEL[r]}
                      </option>
                    ))}
                  </select>
                </td>
                <td>{u.disabled ? 'Disabled' : u.invited ? 'Invited' : 'Active'}</td>
                <td className="actions">
                  <button
                    type="button"
                    onClick={() =>
                      void act(
                        () => api.updateUser(u.id, { disabled: !u.disabled }),
                        `${u.name} is ${u.disabled ? 'enabled' : 'disabled'}.`,
                      )
                    }
                  >
                    {u.disabled ? `Enable ${u.name}` : `Disable ${u.name}`}
                  </button>
                  <button
                    type="button"
                    onClick={() =>
                      void act(async () => {
                        const { url } = await api.resetLink(u.id);
                        setNotice(`Password reset link for ${u.email}: ${link(url)}`);
                      })
                    }
                  >
                    Reset password
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Recent sign-in activity</h2>
      <ul className="auth-events" aria-label="Sign-in activity">
        {events.map((e) => (
          <li key={e.seq}>
            <time dateTime={new Date(e.ts).toISOString()}>{new Date(e.ts).toLocaleString()}</time>{' '}
            {e.type} · {names.get(e.subject) ?? e.subject}
            {e.actor && e.actor !== e.subject ? ` by ${names.get(e.actor) ?? e.actor}` : ''}
            {e.detail ? ` · ${e.detail}` : ''}
            {e.address ? ` · ${e.address}` : ''}
          </li>
        ))}
      </ul>
    </section>
  );
}

function NewUser({
  onCreate,
}: {
  onCreate: (person: {
    email: string;
    name: string;
    role: Role;
    password?: string;
  }) => Promise<void>;
}) {
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('editor');
  const [password, setPassword] = useState('');

  async function submit(event: FormEvent) {
    event.preventDefault();
    await onCreate({
      name: name.trim(),
      email: email.trim(),
      role,
      ...(password ? { password } : {}),
    });
    setName('');
    setEmail('');
    setPassword('');
  }

  return (
    <form
      className="card new-user"
      onSubmit={(e) => void submit(e)}
      aria-labelledby="new-user-title"
    >
      <h2 id="new-user-title">Add a person</h2>
      <label htmlFor="new-user-name">Name</label>
      <input id="new-user-name" required value={name} onChange={(e) => setName(e.target.value)} />
      <label htmlFor="new-user-email">Email</label>
      <input
        id="new-user-email"
        type="email"
        required
        value={email}
        onChange={(e) => setEmail(e.target.value)}
      />
      <label htmlFor="new-user-role">Role</label>
      <select id="new-user-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
        {(Object.keys(ROLE_LABEL) as Role[]).map((r) => (
          <option key={r} value={r}>
            {ROLE_LABEL[r]}
          </option>
        ))}
      </select>
      <label htmlFor="new-user-password">
        Initial password (leave empty to get an invitation link)
      </label>
      <input
        id="new-user-password"
        type="password"
        autoComplete="new-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      <button type="submit" className="primary">
        Add person
      </button>
    </form>
  );
}
