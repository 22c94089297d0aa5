/** Field-level differences between two materialized documents, for the audit trail. */
import { META_MAP } from '@concord/shared';
import type { FieldChange } from '../store/eventStore.js';

const META = new Set(['kind', 'id', 'schemaVersion']);

/** Changed fields, from `before` to `after`; with `only`, just those fields are compared. */
export function diffFields(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  only?: ReadonlySet<string>,
): FieldChange[] {
  const changes: FieldChange[] = [];
  const fields =
    only && !only.has(META_MAP) ? only : new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const field of fields) {
    if (META.has(field)) continue;
    const from = before[field];
    const to = after[field];
    if (JSON.stringify(from) !== JSON.stringify(to))
      changes.push({ field, from: from ?? null, to: to ?? null });
  }
  return changes;
}
