/**
 * The generic machinery behind product and profile documents: where each field lives in a Y.Doc,
 * how a document materializes to plain JSON, how a typed patch becomes one CRDT edit, restores,
 * lost writes, change descriptions and schema migrations. Each kind (product.ts, profile.ts) is a
 * table of fields plus a zod schema; what a field *means* is its kind's module (fields.ts), and
 * nothing here switches over kinds.
 *
 * Layout: every field is its own top-level Yjs type (never a nested one, because two replicas that
 * create the same nested type concurrently would lose one of them):
 *   register `f` -> Y.Map  `r:f`   text `f` -> Y.Text `t:f`   set `f` -> Y.Map `s:f`
 *   counter  `f` -> Y.Map  `c:f`   meta     -> Y.Map `meta` {kind, schemaVersion}
 */
import * as Y from 'yjs';
import type { z } from 'zod';
import type { FieldChange } from './apiTypes.js';
import type { DocumentKindName } from './docName.js';
import {
  RevertError,
  valueChange,
  type EditContext,
  type FieldDiff,
  type FieldSpec,
  type PatchValue,
} from './fieldKind.js';
import { fieldTypeName, opsOf } from './fields.js';
import type { Hlc } from './hlc.js';
import { Origin, type TxOrigin } from './origins.js';
import { lostWrites, readRegister, type RegisterState, type RegisterWrite } from './register.js';
import { validateWith, type FieldIssue, type ValidationResult } from './validation.js';

export type Migration = (doc: Y.Doc) => void;

export interface DocumentKind<J extends object> {
  readonly kind: DocumentKindName;
  /** The version this code writes. */
  readonly schemaVersion: number;
  readonly fields: Readonly<Record<string, FieldSpec>>;
  /** Schema of the materialized JSON. */
  readonly schema: z.ZodType<J>;
  /** `migrations[n]` upgrades a document from version n to n + 1; must be idempotent. */
  readonly migrations: Readonly<Record<number, Migration>>;
  /**
   * Fields that may not change in the document's present state (an order's lines once placed,
   * ORD5), each with the reason; a change to one is compensated back (LOCK1).
   */
  readonly locked?: (json: Record<string, unknown>) => readonly FieldIssue[];
}

/** The locked fields (LOCK1) that differ between `before` and `after`, as issues. */
export function lockedChanges(
  kind: DocumentKind<object>,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): FieldIssue[] {
  return (kind.locked?.(before) ?? []).filter(
    (issue) => JSON.stringify(before[issue.field]) !== JSON.stringify(after[issue.field]),
  );
}

export type Patch = Readonly<Record<string, PatchValue>>;

export const META_MAP = 'meta';

function specOf(kind: DocumentKind<object>, field: string): FieldSpec {
  const spec = kind.fields[field];
  if (!spec) throw new Error(`${kind.kind} has no field "${field}"`);
  return spec;
}

export function registerState(
  doc: Y.Doc,
  kind: DocumentKind<object>,
  field: string,
): RegisterState {
  const spec = kind.fields[field];
  if (!spec || spec.kind !== 'register')
    throw new Error(`${kind.kind}.${field} is not a register field`);
  return readRegister(doc.getMap<unknown>(fieldTypeName(spec, field)));
}

/** `user`'s scalar writes that lost to someone else's later write, by field. */
export function lostWritesOf(
  doc: Y.Doc,
  kind: DocumentKind<object>,
  user: string,
): { field: string; mine: RegisterWrite; current: RegisterWrite }[] {
  const out = [];
  for (const [field, spec] of Object.entries(kind.fields)) {
    if (spec.kind !== 'register') continue;
    const lost = lostWrites(doc.getMap<unknown>(fieldTypeName(spec, field)), user);
    if (lost) out.push({ field, ...lost });
  }
  return out;
}

/** Has anything been written to this document? (A never-written document is a 404.) */
export function isEmptyDocument(doc: Y.Doc): boolean {
  return doc.store.clients.size === 0;
}

/** The document's schema version (as written in `meta`; a document without one is current). */
export function schemaVersionOf(doc: Y.Doc, kind: DocumentKind<object>): number {
  const stored = doc.getMap<unknown>(META_MAP).get('schemaVersion');
  return typeof stored === 'number' ? stored : kind.schemaVersion;
}

/** The document as plain JSON. Unwritten registers read as their (valid) defaults (MAT1). */
export function materialize(
  doc: Y.Doc,
  kind: DocumentKind<object>,
  id: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    kind: kind.kind,
    id,
    schemaVersion: schemaVersionOf(doc, kind),
  };
  for (const field of Object.keys(kind.fields)) out[field] = readField(doc, kind, field);
  return out;
}

/**
 * Where fields nobody wrote are read: a document that holds only empty types. Reading a field of
 * a document must not create its type there (a document loaded on a server would otherwise carry
 * every field's type, written or not); it holds at most one type per field name.
 */
const UNWRITTEN = new Y.Doc();

/** One field's materialized value (the field's empty value when its type does not exist yet). */
export function readField(doc: Y.Doc, kind: DocumentKind<object>, field: string): unknown {
  const spec = specOf(kind, field);
  const typeName = fieldTypeName(spec, field);
  return opsOf(spec).read(doc.share.has(typeName) ? doc : UNWRITTEN, typeName, spec);
}

/** The name of `type` if it is a top-level type of `doc`. */
export function rootNameOf(doc: Y.Doc, type: unknown): string | undefined {
  for (const [name, t] of doc.share) if (t === type) return name;
  return undefined;
}

/**
 * The field a top-level type of `doc` holds (or `META_MAP` for the meta map), so a caller that
 * knows which types a transaction changed can re-read only those fields.
 */
export function fieldOfType(
  doc: Y.Doc,
  kind: DocumentKind<object>,
  type: unknown,
): string | undefined {
  const name = rootNameOf(doc, type);
  if (name === undefined) return undefined;
  if (name === META_MAP) return META_MAP;
  return fieldsByTypeName(kind).get(name)?.field;
}

const typeNameIndex = new WeakMap<
  DocumentKind<object>,
  Map<string, { field: string; spec: FieldSpec }>
>();

/** Each field of `kind` by the name of its top-level type (built once per kind). */
export function fieldsByTypeName(
  kind: DocumentKind<object>,
): ReadonlyMap<string, { field: string; spec: FieldSpec }> {
  let index = typeNameIndex.get(kind);
  if (!index) {
    index = new Map();
    for (const [field, spec] of Object.entries(kind.fields))
      index.set(fieldTypeName(spec, field), { field, spec });
    typeNameIndex.set(kind, index);
  }
  return index;
}

export function validateDocument<J extends object>(
  kind: DocumentKind<J>,
  json: unknown,
): ValidationResult<J> {
  return validateWith(kind.schema, json);
}

/**
 * Validate only `fields` of a document whose other fields are known to be valid: the schema of a
 * kind is an object of per-field schemas with no rule across fields, so a field is valid or not on
 * its own. Issues name the field (`tags.3`) as `validateDocument`'s do; a schema that is not such
 * an object is checked whole.
 */
export function validateFields(
  kind: DocumentKind<object>,
  json: Record<string, unknown>,
  fields: Iterable<string>,
): { ok: true } | { ok: false; issues: FieldIssue[] } {
  const shape = (kind.schema as unknown as { shape?: Record<string, z.ZodType> }).shape;
  if (!shape) {
    const whole = validateDocument(kind, json);
    return whole.ok ? { ok: true } : whole;
  }
  const issues: FieldIssue[] = [];
  for (const field of fields) {
    const schema = shape[field];
    if (!schema) continue;
    const result = validateWith(schema, json[field]);
    if (!result.ok)
      for (const i of result.issues)
        issues.push({ ...i, field: i.field ? `${field}.${i.field}` : field });
  }
  return issues.length === 0 ? { ok: true } : { ok: false, issues };
}

/** Check a patch's shape and each value it sets, before touching any document (PATCH1). */
export function checkPatch(kind: DocumentKind<object>, patch: unknown): ValidationResult<Patch> {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    return {
      ok: false,
      issues: [
        { field: '', code: 'invalid_type', message: 'a patch must be a JSON object of fields' },
      ],
    };
  }
  const issues: FieldIssue[] = [];
  for (const [field, value] of Object.entries(patch as Record<string, unknown>)) {
    const spec = kind.fields[field];
    if (!spec) {
      issues.push({
        field,
        code: 'unknown_field',
        message: `${kind.kind} has no field "${field}"`,
      });
      continue;
    }
    if (isServerOnly(spec)) {
      issues.push({ field, code: 'server_only', message: serverOnlyMessage(field) });
      continue;
    }
    issues.push(...opsOf(spec).checkPatch(spec, field, value));
  }
  return issues.length === 0 ? { ok: true, value: patch as Patch } : { ok: false, issues };
}

/** A field only the server writes (an order's status, ORD1): never in a person's patch. */
export function isServerOnly(spec: FieldSpec): boolean {
  return spec.kind === 'register' && spec.serverOnly === true;
}

export function serverOnlyMessage(field: string): string {
  return `${field} is set by the server alone (ORD1): use its commands, such as placing an order`;
}

/**
 * Apply a checked patch as one Yjs transaction. Registers are written with fresh HLC stamps, text by
 * minimal edit, sets by add/remove, counters by delta. Returns the stamp of each register write.
 */
export function applyPatch(
  doc: Y.Doc,
  kind: DocumentKind<object>,
  patch: Patch,
  ctx: EditContext,
  origin: TxOrigin = Origin.local,
): PatchResult {
  const stamps: Record<string, Hlc> = {};
  doc.transact(() => {
    ensureMeta(doc, kind);
    for (const [field, value] of Object.entries(patch)) {
      const spec = kind.fields[field];
      if (!spec)
        throw new Error(`applyPatch: ${kind.kind} has no field "${field}" (check the patch first)`);
      const stamp = opsOf(spec).apply(doc, fieldTypeName(spec, field), spec, value, ctx);
      if (stamp) stamps[field] = stamp;
    }
  }, origin);
  return { stamps };
}

export interface PatchResult {
  /** The HLC stamp of each register written. */
  readonly stamps: Readonly<Record<string, Hlc>>;
}

/** The patch that turns the materialized `current` into `target` (a restore as a forward edit). */
export function patchToReach(
  kind: DocumentKind<object>,
  current: Record<string, unknown>,
  target: Record<string, unknown>,
): Patch {
  const patch: Record<string, PatchValue> = {};
  for (const [field, spec] of Object.entries(kind.fields)) {
    // A restore brings back what people wrote, never what only the server decides (ORD1).
    if (isServerOnly(spec)) continue;
    const value = opsOf(spec).patchTo(spec, current[field], target[field]);
    if (value !== undefined) patch[field] = value;
  }
  return patch;
}

/** The patch that undoes a recorded change of one field, as an edit of the document now (REV1). */
export function revertChange(
  kind: DocumentKind<object>,
  change: FieldChange,
  current: Record<string, unknown>,
): Patch | RevertError {
  const spec = kind.fields[change.field];
  if (!spec) return new RevertError(`${kind.kind} has no field "${change.field}"`);
  if (isServerOnly(spec)) return new RevertError(serverOnlyMessage(change.field));
  const value = opsOf(spec).revert(spec, change, current[change.field]);
  if (value instanceof RevertError) return value;
  return value === undefined ? {} : ({ [change.field]: value } as Patch);
}

/** Two versions of a document, field by field, only the fields that differ (CMP1). */
export function compareDocuments(
  kind: DocumentKind<object>,
  from: Record<string, unknown>,
  to: Record<string, unknown>,
): { readonly field: string; readonly diff: FieldDiff }[] {
  return Object.entries(kind.fields).flatMap(([field, spec]) =>
    valueChange(from[field], to[field])
      ? [{ field, diff: opsOf(spec).compare(from[field], to[field]) }]
      : [],
  );
}

/** What the audit trail records of `field` going from `from` to `to`; undefined when equal. */
export function fieldChange(
  kind: DocumentKind<object>,
  field: string,
  from: unknown,
  to: unknown,
): FieldChange | undefined {
  const spec = kind.fields[field];
  const body = spec ? opsOf(spec).change(from, to) : valueChange(from, to);
  return body && { field, ...body };
}

/** A short description of one field's recorded change, for history and notices. */
export function describeChange(kind: DocumentKind<object>, change: FieldChange): string {
  const spec = kind.fields[change.field];
  return spec ? opsOf(spec).describe(change) : `${String(change.from)} → ${String(change.to)}`;
}

/** Write kind and schema version once; concurrent identical writes are harmless. */
function ensureMeta(doc: Y.Doc, kind: DocumentKind<object>): void {
  const meta = doc.getMap<unknown>(META_MAP);
  if (meta.get('kind') !== kind.kind) meta.set('kind', kind.kind);
  if (typeof meta.get('schemaVersion') !== 'number') meta.set('schemaVersion', kind.schemaVersion);
}

export type MigrationResult =
  | { ok: true; from: number; to: number }
  | { ok: false; code: 'newer_schema' | 'missing_migration'; message: string };

/**
 * Upgrade a document to `kind.schemaVersion`, one step at a time, in one transaction with origin
 * `concord:migration` (MIG1); refuse one of a newer version than this code knows (MIG2).
 */
export function migrateDocument(doc: Y.Doc, kind: DocumentKind<object>): MigrationResult {
  const from = schemaVersionOf(doc, kind);
  if (from > kind.schemaVersion) {
    return {
      ok: false,
      code: 'newer_schema',
      message: `document has schema version ${from}; this code understands up to ${kind.schemaVersion}`,
    };
  }
  for (let v = from; v < kind.schemaVersion; v++) {
    if (!kind.migrations[v]) {
      return {
        ok: false,
        code: 'missing_migration',
        message: `no migration from schema version ${v} to ${v + 1}`,
      };
    }
  }
  if (from < kind.schemaVersion) {
    doc.transact(() => {
      for (let v = from; v < kind.schemaVersion; v++) kind.migrations[v]?.(doc);
      doc.getMap<unknown>(META_MAP).set('schemaVersion', kind.schemaVersion);
    }, Origin.migration);
  }
  return { ok: true, from, to: kind.schemaVersion };
}

/** A new document of this kind, with initial field values as one local edit. */
export function createDocument(
  kind: DocumentKind<object>,
  initial: Patch,
  ctx: EditContext,
  doc = new Y.Doc(),
): Y.Doc {
  applyPatch(doc, kind, initial, ctx);
  return doc;
}
