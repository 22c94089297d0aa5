/**
 * Editing sessions (SPEC SES1–SES3): the log as people think of it. Consecutive entries by one
 * person on one document, without a pause longer than `pauseMs`, are one session; each field
 * changed in it is shown once, first value → last value (text: its net insertions and deletions).
 * A compensation joins the session it corrected; restores, reverts and migrations stand alone; HTTP writes
 * (patches) group only with patches. Pure: the server pages sessions with it and the app shows them.
 */
import type { ChangeBody, EntryKind, FieldChange } from './apiTypes.js';
import type { DocumentKind } from './documentKind.js';
import { combineValues } from './fieldKind.js';
import { opsOf } from './fields.js';

/** A session ends after this long without a change by its person. */
export const SESSION_PAUSE_MS = 5 * 60_000;

/** What grouping needs of a log entry (the server's entries and the API's both fit). */
export interface SessionEntry {
  readonly seq: number;
  readonly user: string;
  readonly ts: number;
  readonly kind: EntryKind;
  readonly reason?: string | undefined;
  readonly changes: readonly FieldChange[];
}

export interface HistorySession {
  /** Whose session: the person; for a compensation on its own, the server. */
  readonly user: string;
  /** `edit` (sync), `patch` (HTTP), `restore`, `revert`, `migration`, or `compensation` alone. */
  readonly kind: EntryKind;
  readonly start: number;
  readonly end: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** How many log entries it holds. */
  readonly count: number;
  /** Why the server corrected something during it (compensations), if it did. */
  readonly compensations: readonly string[];
  /** Each field changed, combined over the session, in the order fields were first changed. */
  readonly changes: readonly FieldChange[];
}

interface Open {
  user: string;
  kind: EntryKind;
  start: number;
  end: number;
  firstSeq: number;
  lastSeq: number;
  count: number;
  compensations: string[];
  byField: Map<string, ChangeBody[]>;
}

function joins(open: Open, entry: SessionEntry, pauseMs: number): boolean {
  if (entry.ts - open.end > pauseMs) return false;
  if (entry.kind === 'compensation') return open.kind === 'edit' || open.kind === 'patch';
  if (entry.kind !== 'edit' && entry.kind !== 'patch') return false;
  return entry.kind === open.kind && entry.user === open.user;
}

/** Sessions of `entries` (oldest first), oldest first. */
export function groupSessions(
  kind: DocumentKind<object>,
  entries: Iterable<SessionEntry>,
  pauseMs = SESSION_PAUSE_MS,
): HistorySession[] {
  const sessions: HistorySession[] = [];
  let open: Open | undefined;
  const close = () => {
    if (open) sessions.push(finish(kind, open));
    open = undefined;
  };
  for (const entry of entries) {
    if (!open || !joins(open, entry, pauseMs)) {
      close();
      open = {
        user: entry.user,
        kind: entry.kind,
        start: entry.ts,
        end: entry.ts,
        firstSeq: entry.seq,
        lastSeq: entry.seq,
        count: 0,
        compensations: [],
        byField: new Map(),
      };
    }
    open.end = Math.max(open.end, entry.ts);
    open.lastSeq = entry.seq;
    open.count++;
    if (entry.kind === 'compensation' && open.kind !== 'compensation')
      open.compensations.push(entry.reason ?? 'corrected by the server');
    for (const { field, ...body } of entry.changes) {
      const list = open.byField.get(field) ?? [];
      list.push(body);
      open.byField.set(field, list);
    }
    // Restores, reverts and migrations stand alone.
    if (entry.kind === 'restore' || entry.kind === 'revert' || entry.kind === 'migration') close();
  }
  close();
  return sessions;
}

/** One field's recorded changes (oldest first) as the fewest that say the same. */
export function combineChanges(
  kind: DocumentKind<object>,
  field: string,
  changes: readonly ChangeBody[],
): FieldChange[] {
  const spec = kind.fields[field];
  const combined = spec ? opsOf(spec).combine(changes) : combineValues(changes);
  return combined.map((body) => ({ field, ...body }));
}

function finish(kind: DocumentKind<object>, open: Open): HistorySession {
  return {
    user: open.user,
    kind: open.kind,
    start: open.start,
    end: open.end,
    firstSeq: open.firstSeq,
    lastSeq: open.lastSeq,
    count: open.count,
    compensations: open.compensations,
    changes: [...open.byField].flatMap(([field, list]) => combineChanges(kind, field, list)),
  };
}
