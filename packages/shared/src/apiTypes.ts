/**
 * The HTTP contract between the server and its clients, as types: log entry kinds, field changes,
 * history pages and error bodies. The server produces exactly these; the app reads them.
 */
import type { FieldIssue } from './validation.js';

/** Why a log entry was written. */
export type EntryKind = 'edit' | 'compensation' | 'restore' | 'revert' | 'patch' | 'migration';

export const ENTRY_KINDS: readonly EntryKind[] = [
  'edit',
  'compensation',
  'restore',
  'revert',
  'patch',
  'migration',
];

/**
 * One field's change in a log entry. Registers, counters and tags: the materialized value before
 * and after. Text: the splice — at character offset `at`, the text `from` became `to` (the rest of
 * the text unchanged), so an entry's size follows the edit, not the document.
 */
export interface FieldChange {
  readonly field: string;
  readonly from: unknown;
  readonly to: unknown;
  readonly at?: number;
}

/** A field change without its field name (what a field kind computes). */
export type ChangeBody = Omit<FieldChange, 'field'>;

/** One entry of `GET /api/docs/<doc>/history`. */
export interface HistoryEntry {
  readonly seq: number;
  readonly user: string;
  readonly ts: number;
  readonly time: string;
  readonly kind: EntryKind;
  readonly reason?: string;
  readonly compensation: boolean;
  readonly changes: readonly FieldChange[];
}

/** A page of history, newest first; `next` is the cursor of the following page (`?before=`). */
export interface HistoryPage {
  readonly doc: string;
  readonly version: number;
  readonly entries: readonly HistoryEntry[];
  readonly next: number | null;
}

/** The body of every error answer. */
export interface ErrorBody {
  readonly error: string;
  readonly issues?: readonly FieldIssue[];
  readonly code?: string;
  readonly version?: number;
}
