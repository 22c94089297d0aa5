/**
 * What one incoming map entry may hold (SPEC: ID2, ID3, HLC6, STRUCT1). The server checks every
 * new entry of an update against these rules before it applies the update: a register or counter
 * slot must be keyed by the Yjs client id that wrote it, a register slot must name the writer and
 * carry a bounded timestamp, meta holds only the document's own kind and a known schema version.
 * Values that are well formed but invalid for the schema (a negative price) are not refused here:
 * they are compensated after the update is applied (see compensation.ts).
 */
import { fieldTypeName, META_MAP, type DocumentKind, type FieldSpec } from './documentKind.js';
import { isHlc } from './hlc.js';
import { isRegisterSlot } from './register.js';

/**
 * The identity of writes the server makes itself (compensations, and the Yjs client ids of HTTP
 * patches and restores). Not a valid user id (NAME1), so no person can hold it.
 */
export const SERVER_IDENTITY = '@server';

/** Who wrote an entry, as the server knows it. */
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

const OK: EntryCheck = { ok: true };
const refuse = (code: EntryRefusal, message: string): EntryCheck => ({ ok: false, code, message });

/** Largest magnitude of one counter slot (a writer's running sum of deltas): 10^15 units. */
export const MAX_COUNTER_SLOT = 1e15;
/** Longest key of a set entry; elements themselves are validated by the schema. */
export const MAX_SET_KEY_LENGTH = 1_000;

/** The field stored in the top-level type `typeName`, or `meta`, or undefined for any other name. */
export function fieldOfTypeName(
  kind: DocumentKind<object>,
  typeName: string,
): { field: string; spec: FieldSpec } | 'meta' | undefined {
  if (typeName === META_MAP) return 'meta';
  for (const [field, spec] of Object.entries(kind.fields)) {
    if (fieldTypeName(spec, field) === typeName) return { field, spec };
  }
  return undefined;
}

/** Check one new map entry `key → value` written into the top-level type `typeName`. */
export function checkMapEntry(
  kind: DocumentKind<object>,
  typeName: string,
  key: string,
  value: unknown,
  writer: EntryWriter,
): EntryCheck {
  const target = fieldOfTypeName(kind, typeName);
  if (target === undefined)
    return refuse('unknown_type', `"${clip(typeName)}" is not a field of ${kind.kind}`);
  if (target === 'meta') return checkMeta(kind, key, value);
  const { field, spec } = target;
  switch (spec.kind) {
    case 'register':
      return checkRegisterSlot(field, key, value, writer);
    case 'counter':
      return checkCounterSlot(field, key, value, writer);
    case 'set':
      return key.length > 0 && key.length <= MAX_SET_KEY_LENGTH && value === true
        ? OK
        : refuse('malformed_entry', `${field}: a set entry is a non-empty key mapped to true`);
    case 'text':
      return refuse('malformed_entry', `${field} is text, not a map`);
  }
}

function checkRegisterSlot(field: string, key: string, value: unknown, w: EntryWriter): EntryCheck {
  if (key !== String(w.client)) {
    return refuse(
      'forged_identity',
      `${field}: a register slot must be keyed by its writer's client id`,
    );
  }
  const slot = value as Record<string, unknown> | null;
  if (typeof slot === 'object' && slot !== null && !isHlc(slot.t)) {
    return refuse('clock_range', `${field}: the timestamp is malformed or out of range`);
  }
  if (!isRegisterSlot(value) || Object.keys(value).length !== 3) {
    return refuse('malformed_entry', `${field}: a register slot is {v, t, by}`);
  }
  if (value.by !== w.user) {
    return refuse('forged_identity', `${field}: a register slot must name its writer (${w.user})`);
  }
  const lead = value.t.wallMs - w.nowMs;
  if (lead > w.maxSkewMs) {
    return refuse(
      'clock_skew',
      `${field}: timestamp is ${lead} ms ahead of the server's clock (at most ${w.maxSkewMs} ms accepted); check this device's clock`,
    );
  }
  return OK;
}

function checkCounterSlot(field: string, key: string, value: unknown, w: EntryWriter): EntryCheck {
  if (key !== String(w.client)) {
    return refuse(
      'forged_identity',
      `${field}: a counter slot must be keyed by its writer's client id`,
    );
  }
  if (
    typeof value !== 'number' ||
    !Number.isSafeInteger(value) ||
    Math.abs(value) > MAX_COUNTER_SLOT
  ) {
    return refuse(
      'malformed_entry',
      `${field}: a counter slot is an integer of at most ${MAX_COUNTER_SLOT} in magnitude`,
    );
  }
  return OK;
}

function checkMeta(kind: DocumentKind<object>, key: string, value: unknown): EntryCheck {
  if (key === 'kind') {
    return value === kind.kind ? OK : refuse('malformed_entry', `meta.kind must be "${kind.kind}"`);
  }
  if (key === 'schemaVersion') {
    return typeof value === 'number' &&
      Number.isInteger(value) &&
      value >= 1 &&
      value <= kind.schemaVersion
      ? OK
      : refuse(
          'malformed_entry',
          `meta.schemaVersion must be an integer from 1 to ${kind.schemaVersion}`,
        );
  }
  return refuse('malformed_entry', `meta has no entry "${clip(key)}"`);
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
