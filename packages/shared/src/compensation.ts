/**
 * Validation by compensation (SPEC: COMP5). An update that leaves a document invalid for its
 * schema is kept — so no replica diverges by a dropped update — and a compensating edit brings the
 * affected fields back to valid values, which every replica then converges to.
 *
 * Compensation is total: whatever state a document is in, `compensate` ends with the named fields
 * valid. The target of a field is its last valid value when that value is still valid, else its
 * kind's repair of the current value (fields.ts); meta is set back to this kind and version.
 */
import type * as Y from 'yjs';
import { META_MAP, validateDocument, type DocumentKind } from './documentKind.js';
import { fieldTypeName, opsOf } from './fields.js';
import type { HybridClock } from './hlc.js';
import type { TxOrigin } from './origins.js';
import type { FieldIssue } from './validation.js';

/** Top-level fields named by validation issues (`tags.3` → `tags`). */
export function fieldsOf(issues: readonly FieldIssue[]): string[] {
  return [...new Set(issues.map((i) => i.field.split('.')[0] ?? ''))];
}

/** Is `value` valid for `field`, judged with the rest of `json` as it is? */
function validFor(
  kind: DocumentKind<object>,
  json: Record<string, unknown>,
  field: string,
  value: unknown,
): boolean {
  const result = validateDocument(kind, { ...json, [field]: value });
  return result.ok || !fieldsOf(result.issues).includes(field);
}

/** What compensation writes for `field`: the last valid value if still valid, else a repair. */
function compensationTarget(
  kind: DocumentKind<object>,
  field: string,
  lastValid: Record<string, unknown>,
  current: Record<string, unknown>,
): unknown {
  const spec = kind.fields[field]!;
  if (field in lastValid && validFor(kind, current, field, lastValid[field]))
    return lastValid[field];
  return opsOf(spec).repair(spec, current[field]);
}

/**
 * Bring `fields` of `doc` back to valid values, in one transaction with `origin`. `current` is the
 * document's materialized JSON now; `clock` is the server's clock for this document.
 */
export function compensate(
  doc: Y.Doc,
  kind: DocumentKind<object>,
  lastValid: Record<string, unknown>,
  current: Record<string, unknown>,
  fields: readonly string[],
  clock: HybridClock,
  writer: string,
  origin: TxOrigin,
): void {
  doc.transact(() => {
    for (const field of fields) {
      const spec = kind.fields[field];
      if (!spec) {
        repairMeta(doc, kind);
        continue;
      }
      const target = compensationTarget(kind, field, lastValid, current);
      opsOf(spec).compensate(doc, fieldTypeName(spec, field), spec, target, { clock, writer });
    }
  }, origin);
}

/** meta back to this kind and a version this code knows. */
function repairMeta(doc: Y.Doc, kind: DocumentKind<object>): void {
  const meta = doc.getMap<unknown>(META_MAP);
  if (meta.get('kind') !== kind.kind) meta.set('kind', kind.kind);
  const version = meta.get('schemaVersion');
  if (
    typeof version !== 'number' ||
    !Number.isInteger(version) ||
    version < 1 ||
    version > kind.schemaVersion
  )
    meta.set('schemaVersion', kind.schemaVersion);
}
