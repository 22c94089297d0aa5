/**
 * What a field kind is: the contract each of the four kinds (register.ts, text.ts, tagSet.ts,
 * counter.ts) fulfils, so that everything that depends on a kind's semantics — reading, patching,
 * restoring, repairing, compensating, checking incoming entries, describing a change — is written
 * once, in that kind's module. The generic machinery (documentKind.ts, compensation.ts,
 * entryRules.ts) and both apps only dispatch.
 */
import type * as Y from 'yjs';
import type { z } from 'zod';
import type { ChangeBody } from './apiTypes.js';
import type { Hlc, HybridClock } from './hlc.js';
import type { TxOrigin } from './origins.js';
import type { FieldIssue } from './validation.js';

export type RegisterValue = string | number | boolean | null;

export type FieldSpec =
  | {
      readonly kind: 'register';
      readonly default: RegisterValue;
      readonly value: z.ZodType;
      /** Written by the server alone (an order's status); anyone else's entry is refused. */
      readonly serverOnly?: true;
    }
  | { readonly kind: 'text'; readonly value: z.ZodType<string> }
  | { readonly kind: 'set'; readonly element: z.ZodType<string>; readonly max?: number }
  | { readonly kind: 'counter' }
  /** Keyed lines, each an LWW register holding a record that `value` validates (lines.ts). */
  | { readonly kind: 'lines'; readonly value: z.ZodType; readonly max: number };

export type FieldKindName = FieldSpec['kind'];

/** Who is editing, and the clock that orders their register writes. */
export interface EditContext {
  readonly clock: HybridClock;
  /** User id of the writer. */
  readonly writer: string;
}

/** How a set field is patched: elements to add and to remove. */
export interface SetPatch {
  readonly add?: readonly string[];
  readonly remove?: readonly string[];
}

/** How a counter field is patched: a delta. */
export interface CounterPatch {
  readonly delta: number;
}

/** How a lines field is patched: lines to set (by id, whole) and line ids to remove. */
export interface LinesPatch {
  readonly set?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly remove?: readonly string[];
}

/**
 * A patch value: register fields take a value; text fields take the full new text (applied as a
 * minimal edit); set fields take `{add, remove}`; counter fields take `{delta}`.
 */
export type PatchValue = RegisterValue | string | SetPatch | CounterPatch | LinesPatch;

/** Who wrote an incoming entry, as the server knows it (ENTRY1–ENTRY3). */
export interface EntryWriter {
  /** The Yjs client id the entry was created under. */
  readonly client: number;
  /** The writer's user id, from the session (never from the payload). */
  readonly user: string;
  /** Server time, and the largest accepted lead of a register timestamp over it. */
  readonly nowMs: number;
  readonly maxSkewMs: number;
}

export type EntryRefusal =
  'forged_identity' | 'clock_skew' | 'clock_range' | 'unknown_type' | 'malformed_entry';

export type EntryCheck = { ok: true } | { ok: false; code: EntryRefusal; message: string };

export const ENTRY_OK: EntryCheck = { ok: true };
export const refuseEntry = (code: EntryRefusal, message: string): EntryCheck => ({
  ok: false,
  code,
  message,
});

/** Everything one field kind means. `S` is its spec; values are the materialized JSON values. */
export interface FieldOps<S extends FieldSpec> {
  /** Top-level type name prefix: field `f` lives in `<prefix>:f`. */
  readonly prefix: string;
  /** The Yjs type holding field `typeName` (created on first use). */
  type(doc: Y.Doc, typeName: string): Y.Map<unknown> | Y.Text;
  /** The field's materialized value. */
  read(doc: Y.Doc, typeName: string, spec: S): unknown;
  /** Issues with a patch value for this field, before it touches any document (PATCH1). */
  checkPatch(spec: S, field: string, value: unknown): FieldIssue[];
  /** Apply a checked patch value; returns the stamp of a register write. */
  apply(
    doc: Y.Doc,
    typeName: string,
    spec: S,
    value: PatchValue,
    ctx: EditContext,
  ): Hlc | undefined;
  /** The patch value that turns `from` into `to` (restores), or undefined when they are equal. */
  patchTo(spec: S, from: unknown, to: unknown): PatchValue | undefined;
  /** A valid value as close as possible to `current` (compensation without a valid last value). */
  repair(spec: S, current: unknown): unknown;
  /** Make the field read `target`, as the server (COMP5). */
  compensate(doc: Y.Doc, typeName: string, spec: S, target: unknown, ctx: EditContext): void;
  /** May a writer put `key → value` into this field's map? (ENTRY1–ENTRY2) */
  checkEntry(field: string, key: string, value: unknown, writer: EntryWriter): EntryCheck;
  /** What the audit trail records of a change from `from` to `to`; undefined when equal. */
  change(from: unknown, to: unknown): ChangeBody | undefined;
  /** A short, human description of a recorded change, for history and notices. */
  describe(change: ChangeBody): string;
  /**
   * Consecutive recorded changes of this field (oldest first) as the fewest changes that say the
   * same: the first value → the last, or for text the net insertions and deletions (SES2).
   */
  combine(changes: readonly ChangeBody[]): ChangeBody[];
  /** How two values of this field differ, for comparing versions side by side (CMP1). */
  compare(from: unknown, to: unknown): FieldDiff;
  /**
   * The patch that undoes a recorded change as a new edit of the field as it is now (REV1):
   * undefined when there is nothing to undo; an error when it cannot be undone automatically.
   */
  revert(spec: S, change: ChangeBody, current: unknown): PatchValue | undefined | RevertError;
}

/** A recorded change that cannot be undone on the field as it is now. */
export class RevertError {
  constructor(readonly message: string) {}
}

/**
 * Two versions of one field, side by side: values before/after (registers, counters), tags added
 * and removed, or text as runs of kept, inserted and deleted words.
 */
export type FieldDiff =
  | { readonly type: 'value'; readonly from: unknown; readonly to: unknown }
  | { readonly type: 'set'; readonly added: readonly string[]; readonly removed: readonly string[] }
  | {
      readonly type: 'text';
      readonly parts: readonly {
        readonly value: string;
        readonly added?: true;
        readonly removed?: true;
      }[];
    };

/** Values compare as before and after. */
export function compareValues(from: unknown, to: unknown): FieldDiff {
  return { type: 'value', from: from ?? null, to: to ?? null };
}

/** The change record of a value-like field (register, counter, tags): both values, when they differ. */
export function valueChange(from: unknown, to: unknown): ChangeBody | undefined {
  return JSON.stringify(from ?? null) === JSON.stringify(to ?? null)
    ? undefined
    : { from: from ?? null, to: to ?? null };
}

/** Value-like changes combine into the first `from` → the last `to`; nothing when they meet. */
export function combineValues(changes: readonly ChangeBody[]): ChangeBody[] {
  const first = changes[0];
  const last = changes.at(-1);
  if (!first || !last) return [];
  const combined = valueChange(first.from, last.to);
  return combined ? [combined] : [];
}

/** Is `value` a plain object (not null, not an array)? */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export type { TxOrigin };
