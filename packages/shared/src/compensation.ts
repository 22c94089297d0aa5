/**
 * Validation by compensation (SPEC: COMP1–COMP6). An update that leaves a document invalid for its
 * schema is kept — so no replica diverges by a dropped update — and a compensating edit brings the
 * affected fields back to valid values, which every replica then converges to.
 *
 * Compensation is total: whatever state a document is in, `compensate` ends with the named fields
 * valid. The target of a field is its last valid value when that value is still valid, else a
 * repair of the current value (text cut to length, invalid set elements dropped, a register's
 * default, the meta of this kind).
 */
import type * as Y from 'yjs';
import {
  fieldTypeName,
  META_MAP,
  validateDocument,
  type DocumentKind,
  type FieldSpec,
} from './documentKind.js';
import type { HybridClock } from './hlc.js';
import { isRegisterSlot, writeRegister, type RegisterValue } from './register.js';
import { readTagSet, removeTag } from './tagSet.js';
import { replaceText } from './text.js';
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

/** A valid value for `field` as close as possible to `current` (used when no valid one is known). */
export function repairValue(spec: FieldSpec, current: unknown): unknown {
  switch (spec.kind) {
    case 'register':
      return spec.value.safeParse(current).success ? current : spec.default;
    case 'text': {
      const text = typeof current === 'string' ? current : '';
      const max = (spec.value as { maxLength?: number | null }).maxLength ?? text.length;
      return text.length > max ? text.slice(0, max) : text;
    }
    case 'set': {
      const valid = (Array.isArray(current) ? (current as unknown[]) : []).filter(
        (e): e is string => typeof e === 'string' && spec.element.safeParse(e).success,
      );
      return valid.sort().slice(0, spec.max ?? valid.length);
    }
    case 'counter':
      return typeof current === 'number' && Number.isSafeInteger(current) ? current : 0;
  }
}

/** What compensation writes for `field`: the last valid value if still valid, else a repair. */
export function compensationTarget(
  kind: DocumentKind<object>,
  field: string,
  lastValid: Record<string, unknown>,
  current: Record<string, unknown>,
): unknown {
  const spec = kind.fields[field];
  if (!spec) return undefined;
  if (field in lastValid && validFor(kind, current, field, lastValid[field]))
    return lastValid[field];
  return repairValue(spec, current[field]);
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
  origin: unknown,
): void {
  doc.transact(() => {
    for (const field of fields) {
      if (field === 'kind' || field === 'schemaVersion' || field === '') {
        repairMeta(doc, kind);
        continue;
      }
      const spec = kind.fields[field];
      if (!spec) continue;
      const target = compensationTarget(kind, field, lastValid, current);
      const name = fieldTypeName(spec, field);
      switch (spec.kind) {
        case 'register':
          compensateRegister(doc.getMap<unknown>(name), target as RegisterValue, clock, writer);
          break;
        case 'text':
          replaceText(doc.getText(name), String(target ?? ''));
          break;
        case 'set': {
          const map = doc.getMap<unknown>(name);
          const keep = new Set(Array.isArray(target) ? (target as string[]) : []);
          for (const tag of readTagSet(map)) if (!keep.has(tag)) removeTag(map, tag);
          break;
        }
        case 'counter':
          compensateCounter(
            doc.getMap<unknown>(name),
            typeof target === 'number' ? target : 0,
            doc.clientID,
          );
          break;
      }
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

/**
 * Write `target` with a fresh server stamp. Slots whose stamp the server's clock refuses (too far
 * ahead, or malformed) would outrank any honest write, so they are deleted first.
 */
function compensateRegister(
  map: Y.Map<unknown>,
  target: RegisterValue,
  clock: HybridClock,
  writer: string,
): void {
  const doomed: string[] = [];
  map.forEach((raw, key) => {
    if (!isRegisterSlot(raw) || clock.checkSkew(raw.t)) doomed.push(key);
  });
  for (const key of doomed) map.delete(key);
  writeRegister(map, target, clock, writer);
}

/**
 * Make the counter read `target` by setting the server's own slot, with exact (BigInt) sums. Should
 * the other slots be so large that no safe value of the server's slot reaches the target, the
 * largest of them are dropped until one does: compensation always ends with a valid counter.
 */
function compensateCounter(map: Y.Map<unknown>, target: number, serverClient: number): void {
  const own = String(serverClient);
  const others: [string, bigint][] = [];
  const junk: string[] = [];
  map.forEach((raw, key) => {
    if (key === own) return;
    if (typeof raw === 'number' && Number.isSafeInteger(raw)) others.push([key, BigInt(raw)]);
    else junk.push(key);
  });
  for (const key of junk) map.delete(key);
  others.sort((a, b) => (abs(b[1]) > abs(a[1]) ? 1 : abs(b[1]) < abs(a[1]) ? -1 : 0));
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  let rest = others.reduce((sum, [, v]) => sum + v, 0n);
  let need = BigInt(target) - rest;
  for (const [key, value] of others) {
    if (abs(need) <= max) break;
    map.delete(key);
    rest -= value;
    need = BigInt(target) - rest;
  }
  if (map.get(own) !== Number(need)) map.set(own, Number(need));
}

function abs(v: bigint): bigint {
  return v < 0n ? -v : v;
}
