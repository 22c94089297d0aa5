/**
 * Field-level differences between two materialized documents, for the audit trail. What a change
 * of each field records is its kind's (`fieldChange`): both values of a register, a counter or a
 * tag set; the splice of a text, so an entry's size follows the edit, not the document.
 */
import { META_MAP, fieldChange, type DocumentKind } from '@concord/shared';
import type { FieldChange } from '../store/eventStore.js';

const META = new Set(['kind', 'id', 'schemaVersion']);

/** Changed fields, from `before` to `after`; with `only`, just those fields are compared. */
export function diffFields(
  kind: DocumentKind<object>,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  only?: ReadonlySet<string>,
): FieldChange[] {
  const changes: FieldChange[] = [];
  const fields =
    only && !only.has(META_MAP) ? only : new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const field of fields) {
    if (META.has(field) || before[field] === after[field]) continue;
    const change = fieldChange(kind, field, before[field], after[field]);
    if (change) changes.push(change);
  }
  return changes;
}
