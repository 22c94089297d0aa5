import { useCallback, useEffect, useRef, useState } from 'react';
import {
  describeChange,
  type FieldChange,
  type HistoryEntry,
  type HistorySession,
} from '@concord/shared';
import { ApiError } from '../api/client';
import type { DocSession } from '../sync/docSession';
import { CompareView } from './CompareView';
import type { Workspace } from '../sync/workspace';
import { FIELD_LABELS, formatFieldValue } from './format';
import { useVanilla, useReadOnly } from './hooks';

type Session = HistorySession & { readonly continues?: boolean };

interface RevertRequest {
  readonly seq: number;
  readonly field: string;
  readonly fromSeq?: number;
}

const KIND_BADGE: Partial<Record<HistorySession['kind'], string>> = {
  patch: 'API',
  restore: 'restore',
  revert: 'revert',
  migration: 'migration',
  compensation: 'correction',
};

function timeRange(start: number, end: number): string {
  const a = new Date(start);
  const b = new Date(end);
  const day = a.toLocaleDateString();
  const t = (d: Date) => d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return start === end || t(a) === t(b) ? `${day} ${t(a)}` : `${day} ${t(a)}–${t(b)}`;
}

/** "Description, Price, Tags +2": the fields a session changed, the first three by name. */
function fieldSummary(changes: readonly FieldChange[]): string {
  const fields = [...new Set(changes.map((c) => FIELD_LABELS[c.field] ?? c.field))];
  return fields.length <= 3
    ? fields.join(', ')
    : `${fields.slice(0, 3).join(', ')} +${fields.length - 3}`;
}

/**
 * The server's history of this document as editing sessions, newest first (SES1–SES3): who
 * changed what, when, each field's first → last value; expand a session to see its single
 * changes; view any version and restore it as a new edit. Older sessions load on scroll.
 */
export function HistoryPanel({
  session,
  workspace,
}: {
  session: DocSession;
  workspace: Workspace;
}) {
  const [sessions, setSessions] = useState<readonly Session[]>();
  const [next, setNext] = useState<number | null>(null);
  const [field, setField] = useState('');
  const [person, setPerson] = useState('');
  const [error, setError] = useState<string>();
  const [viewing, setViewing] = useState<{ seq: number; doc: Record<string, unknown> }>();
  const [notice, setNotice] = useState<string>();
  const [loadingMore, setLoadingMore] = useState(false);
  /** Versions picked for comparison (at most two), and the comparison shown. */
  const [picked, setPicked] = useState<readonly number[]>([]);
  /** A revert that needs a yes: the field changed since the change being reverted. */
  const [confirming, setConfirming] = useState<{
    change: RevertRequest;
    current: unknown;
    by: string;
  }>();
  const [comparing, setComparing] = useState<{
    from: { seq: number; doc: Record<string, unknown> };
    to: { seq: number; doc: Record<string, unknown> };
  }>();
  const version = useVanilla(session.store, (s) => s.version);
  const canRestore = !useReadOnly(session);
  const sentinel = useRef<HTMLLIElement>(null);

  const describe = useCallback(
    (c: FieldChange) =>
      session.kind.fields[c.field]?.kind === 'register'
        ? `${formatFieldValue(c.field, c.from)} → ${formatFieldValue(c.field, c.to)}`
        : describeChange(session.kind, c),
    [session],
  );

  const failed = useCallback(
    (e: unknown) =>
      setError(
        workspace.online.isOnline()
          ? `Could not load the history: ${e instanceof Error ? e.message : String(e)}`
          : 'History comes from the server: it is available when you are online.',
      ),
    [workspace],
  );

  const load = useCallback(async () => {
    try {
      const page = await workspace.api.sessions(session.name, { field, user: person });
      setSessions(page.sessions);
      setNext(page.next);
      setError(undefined);
    } catch (e) {
      failed(e);
    }
  }, [workspace, session, field, person, failed]);

  const loadMore = useCallback(async () => {
    if (next === null || loadingMore) return;
    setLoadingMore(true);
    try {
      const page = await workspace.api.sessions(session.name, {
        before: next,
        field,
        user: person,
      });
      setSessions((s) => [...(s ?? []), ...page.sessions]);
      setNext(page.next);
    } catch (e) {
      failed(e);
    } finally {
      setLoadingMore(false);
    }
  }, [workspace, session, next, field, person, loadingMore, failed]);

  useEffect(() => {
    void load();
  }, [load, version]);

  // Older sessions load when the end of the list scrolls into view.
  useEffect(() => {
    const end = sentinel.current;
    if (!end || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver((seen) => {
      if (seen.some((e) => e.isIntersecting)) void loadMore();
    });
    observer.observe(end);
    return () => observer.disconnect();
  }, [loadMore, sessions]);

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

  async function revert(change: RevertRequest, force = false) {
    setConfirming(undefined);
    setNotice(undefined);
    const label = FIELD_LABELS[change.field] ?? change.field;
    try {
      await workspace.api.revert(session.name, { ...change, force });
      setNotice(`Reverted ${label}.`);
      await load();
    } catch (e) {
      if (e instanceof ApiError && e.body.code === 'changed_since') {
        const last = e.body.lastChange as { user?: string } | undefined;
        setConfirming({
          change,
          current: e.body.current,
          by: workspace.displayName(last?.user ?? ''),
        });
      } else {
        setError(`Could not revert ${label}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  function pick(seq: number, on: boolean) {
    setPicked((p) =>
      on ? [...p.filter((q) => q !== seq), seq].slice(-2) : p.filter((q) => q !== seq),
    );
  }

  async function compare() {
    const [a, b] = [...picked].sort((x, y) => x - y);
    if (a === undefined || b === undefined) return;
    try {
      const [from, to] = await Promise.all([
        workspace.api.docAt(session.name, a),
        workspace.api.docAt(session.name, b),
      ]);
      setComparing({ from: { seq: a, doc: from }, to: { seq: b, doc: to } });
    } catch (e) {
      setError(`Could not compare: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  const people = [...new Set((sessions ?? []).map((s) => s.user))];

  return (
    <aside className="card history" aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <div className="history-filters">
        <label>
          Field{' '}
          <select
            value={field}
            onChange={(e) => setField(e.target.value)}
            aria-label="Filter by field"
          >
            <option value="">All fields</option>
            {Object.keys(session.kind.fields).map((f) => (
              <option key={f} value={f}>
                {FIELD_LABELS[f] ?? f}
              </option>
            ))}
          </select>
        </label>
        <label>
          Person{' '}
          <select
            value={person}
            onChange={(e) => setPerson(e.target.value)}
            aria-label="Filter by person"
          >
            <option value="">Everyone</option>
            {[...new Set([...people, ...(person ? [person] : [])])].map((u) => (
              <option key={u} value={u}>
                {workspace.displayName(u)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error && <p className="error small">{error}</p>}
      {notice && <p className="ok small">{notice}</p>}
      {confirming && (
        <div role="alertdialog" aria-label="Confirm revert" className="banner conflict">
          <span>
            {FIELD_LABELS[confirming.change.field] ?? confirming.change.field} changed since: it is
            now {formatFieldValue(confirming.change.field, confirming.current)} (changed by{' '}
            {confirming.by}). Revert it anyway?
          </span>
          <button
            type="button"
            className="primary"
            onClick={() => void revert(confirming.change, true)}
          >
            Revert anyway
          </button>
          <button type="button" onClick={() => setConfirming(undefined)}>
            Keep current value
          </button>
        </div>
      )}
      {picked.length === 2 && (
        <button type="button" className="primary" onClick={() => void compare()}>
          Compare versions {Math.min(...picked)} and {Math.max(...picked)}
        </button>
      )}
      {comparing && (
        <CompareView
          kind={session.kind}
          from={comparing.from}
          to={comparing.to}
          onClose={() => setComparing(undefined)}
        />
      )}
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
      {!sessions ? (
        !error && <p className="muted small">Loading…</p>
      ) : sessions.length === 0 ? (
        <p className="muted small">No saved changes yet.</p>
      ) : (
        <ol className="history-list" aria-label="Editing sessions">
          {sessions.map((s) => (
            <SessionItem
              key={`${s.firstSeq}-${s.lastSeq}`}
              s={s}
              name={workspace.displayName(s.user)}
              describe={describe}
              onView={(seq) => void view(seq)}
              loadEntries={() =>
                workspace.api.historyBetween(session.name, s.firstSeq - 1, s.lastSeq + 1)
              }
              displayName={(u) => workspace.displayName(u)}
              picked={picked.includes(s.lastSeq)}
              onPick={(on) => pick(s.lastSeq, on)}
              onRevert={canRestore ? (change) => void revert(change) : undefined}
            />
          ))}
          <li ref={sentinel} className="history-end muted small">
            {next !== null ? (
              <button type="button" onClick={() => void loadMore()} disabled={loadingMore}>
                {loadingMore ? 'Loading…' : 'Load older changes'}
              </button>
            ) : (
              'The beginning of this document.'
            )}
          </li>
        </ol>
      )}
    </aside>
  );
}

function SessionItem({
  s,
  name,
  describe,
  onView,
  loadEntries,
  displayName,
  picked,
  onPick,
  onRevert,
}: {
  s: Session;
  name: string;
  describe: (c: FieldChange) => string;
  onView: (seq: number) => void;
  loadEntries: () => Promise<{ entries: readonly HistoryEntry[] }>;
  displayName: (user: string) => string;
  picked: boolean;
  onPick: (on: boolean) => void;
  /** Offered to people who may edit: undo one field's change (of the session or of one entry). */
  onRevert: ((change: RevertRequest) => void) | undefined;
}) {
  const [entries, setEntries] = useState<readonly HistoryEntry[]>();
  const [open, setOpen] = useState(false);
  async function toggle() {
    if (!open && !entries) setEntries((await loadEntries()).entries);
    setOpen(!open);
  }
  const badge = KIND_BADGE[s.kind];
  return (
    <li
      className={`history-entry kind-${s.kind}`}
      aria-label={`${name} ${timeRange(s.start, s.end)}`}
    >
      <div className="history-meta">
        <strong>{name}</strong> · {timeRange(s.start, s.end)}
        {s.changes.length > 0 && <> · {fieldSummary(s.changes)}</>}
        {badge && <span className="badge">{badge}</span>}
      </div>
      {s.compensations.length > 0 && (
        <div className="small muted">Corrected by the server: {s.compensations.join('; ')}</div>
      )}
      <div className="changes">
        {s.changes.map((c, i) => (
          <div key={i}>
            {FIELD_LABELS[c.field] ?? c.field}: {describe(c)}{' '}
            {onRevert && s.kind !== 'migration' && (
              <button
                type="button"
                className="small"
                onClick={() => onRevert({ seq: s.lastSeq, fromSeq: s.firstSeq, field: c.field })}
              >
                Revert {FIELD_LABELS[c.field] ?? c.field}
              </button>
            )}
          </div>
        ))}
      </div>
      <div className="row">
        <button type="button" onClick={() => onView(s.lastSeq)}>
          View version {s.lastSeq}
        </button>
        <label className="small">
          <input type="checkbox" checked={picked} onChange={(e) => onPick(e.target.checked)} />{' '}
          Compare version {s.lastSeq}
        </label>
        {s.count > 1 && (
          <button type="button" aria-expanded={open} onClick={() => void toggle()}>
            {open ? 'Hide changes' : `Show ${s.count} changes`}
          </button>
        )}
      </div>
      {open && entries && (
        <ol className="history-sublist" aria-label={`Changes of ${name}`}>
          {entries.map((e) => (
            <li key={e.seq} className={`history-entry kind-${e.kind}`}>
              <div className="history-meta small">
                #{e.seq} {displayName(e.user)} · {new Date(e.ts).toLocaleTimeString()}
                {e.kind !== 'edit' && <span className="badge">{e.kind}</span>}
              </div>
              <div className="changes">
                {e.changes.map((c, i) => (
                  <div key={i}>
                    {FIELD_LABELS[c.field] ?? c.field}: {describe(c)}{' '}
                    {onRevert && (
                      <button
                        type="button"
                        className="small"
                        onClick={() => onRevert({ seq: e.seq, field: c.field })}
                      >
                        Revert {FIELD_LABELS[c.field] ?? c.field}
                      </button>
                    )}
                  </div>
                ))}
              </div>
              <button type="button" onClick={() => onView(e.seq)}>
                View version {e.seq}
              </button>
            </li>
          ))}
        </ol>
      )}
    </li>
  );
}
