/** Field-level differences between two materialized documents, for the audit trail. */
import type { FieldChange } from '../store/eventStore.js';

const META = new Set(['kind', 'id', 'schemaVersion']);

export function diffFields(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (META.has(field)) continue;
    const from = before[field];
    const to = after[field];
    if (JSON.stringify(from) !== JSON.stringify(to))
      changes.push({ field, from: from ?? null, to: to ?? null });
  }
  return changes;
}
