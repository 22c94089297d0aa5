/**
 * The generic machinery behind product and profile documents: where each field lives in a Y.Doc,
 * how a document materializes to plain JSON, how a typed patch becomes one CRDT edit, and schema
 * migrations. Each kind (product.ts, profile.ts) is a table of fields plus a zod schema.
 *
 * Layout: every field is its own top-level Yjs type (never a nested one, because two replicas that
 * create the same nested type concurrently would lose one of them):
 *   register `f` -> Y.Map  `r:f`   text `f` -> Y.Text `t:f`   set `f` -> Y.Map `s:f`
 *   counter  `f` -> Y.Map  `c:f`   meta     -> Y.Map `meta` {kind, id, schemaVersion}
 */
import * as Y from 'yjs';
import type { z } from 'zod';
import type { DocumentKindName } from './docName.js';
import type { Hlc, HybridClock } from './hlc.js';
import { Origin } from './origins.js';
import { readRegister, writeRegister, type RegisterState, type RegisterValue } from './register.js';
import { adjustCounter, readCounter } from './counter.js';
import { addTag, readTagSet, removeTag } from './tagSet.js';
import { replaceText } from './text.js';
import { validateWith, type FieldIssue, type ValidationResult } from './validation.js';

export type FieldSpec =
  | { readonly kind: 'register'; readonly default: RegisterValue; readonly value: z.ZodType }
  | { readonly kind: 'text'; readonly value: z.ZodType<string> }
  | { readonly kind: 'set'; readonly element: z.ZodType<string>; readonly max?: number }
  | { readonly kind: 'counter' };

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
}

/** Who is editing, and the clock that orders their register writes. */
export interface EditContext {
  readonly clock: HybridClock;
  /** User id of the writer. */
  readonly writer: string;
}

/**
 * A patch: register fields take a value; text fields take the full new text (applied as a minimal
 * edit); set fields take `{add, remove}`; counter fields take `{delta}`.
 */
export type PatchValue =
  RegisterValue | string | { add?: string[]; remove?: string[] } | { delta: number };
export type Patch = Readonly<Record<string, PatchValue>>;

export const META_MAP = 'meta';

export function fieldTypeName(spec: FieldSpec, field: string): string {
  switch (spec.kind) {
    case 'register':
      return `r:${field}`;
    case 'text':
      return `t:${field}`;
    case 'set':
      return `s:${field}`;
    case 'counter':
      return `c:${field}`;
  }
}

/** The Yjs shared type that holds `field`. */
export function fieldType(doc: Y.Doc, spec: FieldSpec, field: string): Y.Map<unknown> | Y.Text {
  const name = fieldTypeName(spec, field);
  return spec.kind === 'text' ? doc.getText(name) : doc.getMap<unknown>(name);
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

/** Has anything been written to this document? (A never-written document is a 404.) */
export function isEmptyDocument(doc: Y.Doc): boolean {
  return doc.store.clients.size === 0;
}

/** The document as plain JSON. Unwritten registers read as their (valid) defaults (MAT1). */
export function materialize(
  doc: Y.Doc,
  kind: DocumentKind<object>,
  id: string,
): Record<string, unknown> {
  const meta = doc.getMap<unknown>(META_MAP);
  const version = meta.get('schemaVersion');
  const out: Record<string, unknown> = {
    kind: kind.kind,
    id,
    schemaVersion: typeof version === 'number' ? version : kind.schemaVersion,
  };
  for (const field of Object.keys(kind.fields)) out[field] = readField(doc, kind, field);
  return out;
}

/** One field's materialized value. */
export function readField(doc: Y.Doc, kind: DocumentKind<object>, field: string): unknown {
  const spec = kind.fields[field];
  if (!spec) throw new Error(`${kind.kind} has no field "${field}"`);
  switch (spec.kind) {
    case 'register': {
      const { current } = readRegister(doc.getMap<unknown>(fieldTypeName(spec, field)));
      return current ? current.value : spec.default;
    }
    case 'text':
      return doc.getText(fieldTypeName(spec, field)).toString();
    case 'set':
      return readTagSet(doc.getMap<unknown>(fieldTypeName(spec, field)));
    case 'counter':
      return readCounter(doc.getMap<unknown>(fieldTypeName(spec, field)));
  }
}

/**
 * The field each top-level shared type holds (and `META_MAP` for the meta map), so a caller that
 * knows which types a transaction changed can re-read only those fields.
 */
export function fieldsByType(doc: Y.Doc, kind: DocumentKind<object>): Map<object, string> {
  const out = new Map<object, string>();
  for (const [field, spec] of Object.entries(kind.fields))
    out.set(fieldType(doc, spec, field), field);
  out.set(doc.getMap<unknown>(META_MAP), META_MAP);
  return out;
}

export function validateDocument<J extends object>(
  kind: DocumentKind<J>,
  json: unknown,
): ValidationResult<J> {
  return validateWith(kind.schema, json);
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
    issues.push(...checkPatchValue(spec, field, value));
  }
  return issues.length === 0 ? { ok: true, value: patch as Patch } : { ok: false, issues };
}

function checkPatchValue(spec: FieldSpec, field: string, value: unknown): FieldIssue[] {
  const prefix = (issues: FieldIssue[]) =>
    issues.map((i) => ({ ...i, field: i.field ? `${field}.${i.field}` : field }));
  switch (spec.kind) {
    case 'register':
    case 'text': {
      const r = validateWith(spec.value, value);
      return r.ok ? [] : prefix(r.issues);
    }
    case 'set': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return [
          { field, code: 'invalid_type', message: 'expected {"add": [...], "remove": [...]}' },
        ];
      }
      const issues: FieldIssue[] = [];
      for (const [op, list] of Object.entries(value as Record<string, unknown>)) {
        if (op !== 'add' && op !== 'remove') {
          issues.push({
            field: `${field}.${op}`,
            code: 'unknown_field',
            message: 'expected "add" or "remove"',
          });
        } else if (!Array.isArray(list)) {
          issues.push({
            field: `${field}.${op}`,
            code: 'invalid_type',
            message: 'expected an array of strings',
          });
        } else {
          list.forEach((element, i) => {
            const r = validateWith(spec.element, element);
            if (!r.ok)
              issues.push(...r.issues.map((x) => ({ ...x, field: `${field}.${op}.${i}` })));
          });
        }
      }
      return issues;
    }
    case 'counter': {
      const delta = (value as { delta?: unknown } | null)?.delta;
      if (
        typeof value !== 'object' ||
        value === null ||
        Object.keys(value).some((k) => k !== 'delta')
      ) {
        return [{ field, code: 'invalid_type', message: 'expected {"delta": <integer>}' }];
      }
      if (typeof delta !== 'number' || !Number.isSafeInteger(delta)) {
        return [
          { field: `${field}.delta`, code: 'invalid_type', message: 'delta must be an integer' },
        ];
      }
      return [];
    }
  }
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
  origin: unknown = Origin.local,
): PatchResult {
  const stamps: Record<string, Hlc> = {};
  doc.transact(() => {
    ensureMeta(doc, kind);
    for (const [field, value] of Object.entries(patch)) {
      const spec = kind.fields[field];
      if (!spec)
        throw new Error(`applyPatch: ${kind.kind} has no field "${field}" (check the patch first)`);
      switch (spec.kind) {
        case 'register': {
          const map = doc.getMap<unknown>(fieldTypeName(spec, field));
          // Always a fresh write, even of the current value: setting a value again is a later write.
          stamps[field] = writeRegister(map, value as RegisterValue, ctx.clock, ctx.writer);
          break;
        }
        case 'text':
          replaceText(doc.getText(fieldTypeName(spec, field)), value as string);
          break;
        case 'set': {
          const map = doc.getMap<unknown>(fieldTypeName(spec, field));
          const ops = value as { add?: string[]; remove?: string[] };
          for (const tag of ops.remove ?? []) removeTag(map, tag);
          for (const tag of ops.add ?? []) addTag(map, tag);
          break;
        }
        case 'counter':
          adjustCounter(
            doc.getMap<unknown>(fieldTypeName(spec, field)),
            (value as { delta: number }).delta,
          );
          break;
      }
    }
  }, origin);
  return { stamps };
}

export interface PatchResult {
  /** The HLC stamp of each register written. */
  readonly stamps: Readonly<Record<string, Hlc>>;
}

/** Write kind and schema version once; concurrent identical writes are harmless. */
export function ensureMeta(doc: Y.Doc, kind: DocumentKind<object>): void {
  const meta = doc.getMap<unknown>(META_MAP);
  if (meta.get('kind') !== kind.kind) meta.set('kind', kind.kind);
  if (typeof meta.get('schemaVersion') !== 'number') meta.set('schemaVersion', kind.schemaVersion);
}

export type MigrationResult =
  | { ok: true; from: number; to: number }
  | { ok: false; code: 'newer_schema' | 'missing_migration'; message: string };

/** Upgrade a document to `kind.schemaVersion`, one step at a time (MIG1–MIG2). */
export function migrateDocument(doc: Y.Doc, kind: DocumentKind<object>): MigrationResult {
  const meta = doc.getMap<unknown>(META_MAP);
  const stored = meta.get('schemaVersion');
  const from = typeof stored === 'number' ? stored : kind.schemaVersion;
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
      meta.set('schemaVersion', kind.schemaVersion);
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
