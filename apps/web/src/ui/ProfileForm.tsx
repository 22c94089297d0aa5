import { isAccountId, materialize, type Profile } from '@concord/shared';
import { useReadOnly } from './hooks';
import type { DocSession, PresenceState } from '../sync/docSession';
import { CollabText, RegisterInput } from './fields';

export function ProfileForm({ session, others }: { session: DocSession; others: PresenceState[] }) {
  const p = materialize(session.doc, session.kind, session.docName.id) as Profile;
  const ro = Boolean(useReadOnly(session));
  const common = { session, readOnly: ro, others };
  // An account's name and email are the account's: an admin changes them under Users.
  const fromAccount = isAccountId(session.docName.id);
  const accountField = { ...common, readOnly: ro || fromAccount };
  return (
    <form className="form" onSubmit={(e) => e.preventDefault()} aria-label="Profile">
      <h1 className="doc-title">
        {p.avatarUrl && <img className="avatar-img" src={p.avatarUrl} alt="" />}
        {p.displayName}
      </h1>
      <div className="grid">
        <RegisterInput
          {...accountField}
          field="displayName"
          label="Display name"
          value={p.displayName}
        />
        <RegisterInput {...accountField} field="email" label="Email" type="email" value={p.email} />
        <RegisterInput
          {...common}
          field="avatarUrl"
          label="Avatar URL"
          type="url"
          value={p.avatarUrl}
        />
        <RegisterInput {...common} field="locale" label="Locale" value={p.locale} />
      </div>
      {fromAccount && (
        <p className="muted">
          Name and email come from the account: an admin changes them under Users.
        </p>
      )}
      <CollabText {...common} field="bio" label="Bio" value={p.bio} rows={5} />
    </form>
  );
}
