import { useCallback, useEffect, useState } from 'react';
import { describeChange, type HistoryEntry } from '@concord/shared';
import type { DocSession } from '../sync/docSession';
import type { Workspace } from '../sync/workspace';
import { FIELD_LABELS, formatFieldValue } from './format';
import { useVanilla, useReadOnly } from './hooks';

/** The server's audit trail of this document: view any version, restore it as a new edit. */
export function HistoryPanel({
  session,
  workspace,
}: {
  session: DocSession;
  workspace: Workspace;
}) {
  const [entries, setEntries] = useState<readonly HistoryEntry[]>();
  const [error, setError] = useState<string>();
  const [viewing, setViewing] = useState<{ seq: number; doc: Record<string, unknown> }>();
  const [notice, setNotice] = useState<string>();
  const version = useVanilla(session.store, (s) => s.version);
  const canRestore = !useReadOnly(session);

  const load = useCallback(async () => {
    try {
      const res = await workspace.api.history(session.name);
      setEntries(res.entries); // newest first, as the server pages them
      setError(undefined);
    } catch (e) {
      setError(
        workspace.online.isOnline()
          ? `Could not load the history: ${e instanceof Error ? e.message : String(e)}`
          : 'History comes from the server: it is available when you are online.',
      );
    }
  }, [workspace, session]);

  useEffect(() => {
    void load();
  }, [load, version]);

  async function view(seq: number) {
    try {
      setViewing({ seq, doc: await workspace.api.docAt(session.name, seq) });
    } catch (e) {
      setError(`Could not load version ${seq}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  async function restore(seq: number) {
    try {
      await workspace.api.restore(session.name, seq);
      setNotice(`Restored version ${seq}.`);
      setViewing(undefined);
      await load();
    } catch (e) {
      setError(`Could not restore version ${seq}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  return (
    <aside className="card history" aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      {error && <p className="error small">{error}</p>}
      {notice && <p className="ok small">{notice}</p>}
      {viewing && (
        <section className="version" aria-label={`Version ${viewing.seq}`}>
          <h3>Version {viewing.seq}</h3>
          <dl>
            {Object.entries(viewing.doc)
              .filter(([k]) => FIELD_LABELS[k])
              .map(([k, v]) => (
                <div key={k} className="dl-row">
                  <dt>{FIELD_LABELS[k]}</dt>
                  <dd>{formatFieldValue(k, v)}</dd>
                </div>
              ))}
          </dl>
          <div className="row">
            {canRestore && (
              <button type="button" className="primary" onClick={() => void restore(viewing.seq)}>
                Restore version {viewing.seq}
              </button>
            )}
            <button type="button" onClick={() => setViewing(undefined)}>
              Close version
            </button>
          </div>
        </section>
      )}
      {!entries ? (
        !error && <p className="muted small">Loading…</p>
      ) : entries.length === 0 ? (
        <p className="muted small">No saved changes yet.</p>
      ) : (
        <ol className="history-list" aria-label="Changes">
          {entries.map((e) => (
            <li key={e.seq} className={`history-entry kind-${e.kind}`}>
              <div className="history-meta">
                <strong>#{e.seq}</strong> {workspace.displayName(e.user)} ·{' '}
                {new Date(e.ts).toLocaleString()}
                {e.kind !== 'edit' && <span className="badge">{e.kind}</span>}
              </div>
              {e.reason && <div className="small muted">Reason: {e.reason}</div>}
              <div className="changes">
                {e.changes.map((c, i) => (
                  <div key={i}>
                    {FIELD_LABELS[c.field] ?? c.field}:{' '}
                    {session.kind.fields[c.field]?.kind === 'register'
                      ? `${formatFieldValue(c.field, c.from)} → ${formatFieldValue(c.field, c.to)}`
                      : describeChange(session.kind, c)}
                  </div>
                ))}
              </div>
              <button type="button" onClick={() => void view(e.seq)}>
                View version {e.seq}
              </button>
            </li>
          ))}
        </ol>
      )}
    </aside>
  );
}
