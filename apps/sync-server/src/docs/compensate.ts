/**
 * Validation by compensation. An update that makes a document invalid is kept (so no replica
 * diverges from the server by a dropped update); the server then writes a compensating edit that
 * restores the affected fields to their last valid values. Every replica converges to a valid doc.
 */
import * as Y from 'yjs';
import {
  adjustCounter,
  fieldTypeName,
  readCounter,
  readTagSet,
  registerWrites,
  removeTag,
  replaceText,
  writeRegister,
  type DocumentKind,
  type FieldIssue,
  type HybridClock,
  type RegisterValue,
} from '@concord/shared';

export interface Violation {
  readonly reason: 'invalid_document' | 'clock_skew';
  readonly fields: string[];
  readonly message: string;
}

/** Register slots whose timestamp lies beyond the skew bound of the server's clock. */
export function skewedFields(
  doc: Y.Doc,
  kind: DocumentKind<object>,
  nowMs: number,
  maxSkewMs: number,
  only?: ReadonlySet<string>,
): string[] {
  const fields: string[] = [];
  for (const [field, spec] of Object.entries(kind.fields)) {
    if (spec.kind !== 'register' || (only && !only.has(field))) continue;
    const writes = registerWrites(doc.getMap<unknown>(fieldTypeName(spec, field)));
    if (writes.some((w) => w.stamp.wallMs - nowMs > maxSkewMs)) fields.push(field);
  }
  return fields;
}

export function fieldsOf(issues: readonly FieldIssue[]): string[] {
  return [...new Set(issues.map((i) => i.field.split('.')[0] ?? ''))];
}

/**
 * Restore `fields` to their values in `lastValid`, in one transaction with the given origin.
 * Skewed register slots are deleted first so the restored value wins with a sane timestamp.
 */
export function compensate(
  doc: Y.Doc,
  kind: DocumentKind<object>,
  lastValid: Record<string, unknown>,
  fields: readonly string[],
  clock: HybridClock,
  origin: unknown,
  nowMs: number,
  maxSkewMs: number,
): void {
  doc.transact(() => {
    for (const field of fields) {
      const spec = kind.fields[field];
      if (!spec) continue;
      const target = lastValid[field];
      switch (spec.kind) {
        case 'register': {
          const map = doc.getMap<unknown>(fieldTypeName(spec, field));
          for (const w of registerWrites(map)) {
            if (w.stamp.wallMs - nowMs > maxSkewMs) map.delete(String(w.slot));
          }
          writeRegister(map, target as RegisterValue, clock, 'server');
          break;
        }
        case 'text':
          replaceText(doc.getText(fieldTypeName(spec, field)), String(target ?? ''));
          break;
        case 'set': {
          const map = doc.getMap<unknown>(fieldTypeName(spec, field));
          const keep = new Set(Array.isArray(target) ? (target as string[]) : []);
          for (const tag of readTagSet(map)) {
            const valid = spec.element.safeParse(tag).success;
            if (!valid || !keep.has(tag)) removeTag(map, tag);
          }
          break;
        }
        case 'counter': {
          const map = doc.getMap<unknown>(fieldTypeName(spec, field));
          const delta = (typeof target === 'number' ? target : 0) - readCounter(map);
          if (Number.isSafeInteger(delta) && delta !== 0) adjustCounter(map, delta);
          break;
        }
      }
    }
  }, origin);
}

/** Concatenate updates captured during one pipeline step into one. */
export function mergeUpdates(updates: readonly Uint8Array[]): Uint8Array | undefined {
  if (updates.length === 0) return undefined;
  return updates.length === 1 ? updates[0] : Y.mergeUpdates([...updates]);
}
