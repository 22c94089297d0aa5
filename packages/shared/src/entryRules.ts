/**
 * What one incoming map entry may hold (SPEC: ENTRY1–ENTRY3). The server checks every new entry
 * of an update against these rules before it applies the update; what a field kind's entries may
 * be is that kind's (`checkEntry` in register.ts, tagSet.ts, counter.ts); meta holds only the
 * document's own kind and a schema version no lower than the document's and no higher than this
 * code knows. Values that are well formed but invalid for the schema (a negative price) are not
 * refused here: they are compensated after the update is applied (compensation.ts).
 */
import {
  META_MAP,
  fieldsByTypeName,
  isServerOnly,
  serverOnlyMessage,
  type DocumentKind,
} from './documentKind.js';
import {
  ENTRY_OK,
  refuseEntry,
  type EntryCheck,
  type EntryWriter,
  type FieldSpec,
} from './fieldKind.js';
import { opsOf } from './fields.js';
import { SERVER_IDENTITY } from './serverIdentity.js';

export { SERVER_IDENTITY };

/** The field stored in the top-level type `typeName`, or `meta`, or undefined for any other name. */
export function fieldOfTypeName(
  kind: DocumentKind<object>,
  typeName: string,
): { field: string; spec: FieldSpec } | 'meta' | undefined {
  if (typeName === META_MAP) return 'meta';
  return fieldsByTypeName(kind).get(typeName);
}

/**
 * Check one new map entry `key → value` written into the top-level type `typeName` of a document
 * whose schema version is `docVersion`.
 */
export function checkMapEntry(
  kind: DocumentKind<object>,
  typeName: string,
  key: string,
  value: unknown,
  writer: EntryWriter,
  docVersion = 1,
): EntryCheck {
  const target = fieldOfTypeName(kind, typeName);
  if (target === undefined)
    return refuseEntry('unknown_type', `"${clip(typeName)}" is not a field of ${kind.kind}`);
  if (target === 'meta') return checkMeta(kind, key, value, docVersion);
  if (isServerOnly(target.spec) && writer.user !== SERVER_IDENTITY)
    return refuseEntry('forged_identity', serverOnlyMessage(target.field));
  return opsOf(target.spec).checkEntry(target.field, key, value, writer);
}

function checkMeta(
  kind: DocumentKind<object>,
  key: string,
  value: unknown,
  docVersion: number,
): EntryCheck {
  if (key === 'kind') {
    return value === kind.kind
      ? ENTRY_OK
      : refuseEntry('malformed_entry', `meta.kind must be "${kind.kind}"`);
  }
  if (key === 'schemaVersion') {
    const lowest = Math.min(docVersion, kind.schemaVersion);
    return typeof value === 'number' &&
      Number.isInteger(value) &&
      value >= lowest &&
      value <= kind.schemaVersion
      ? ENTRY_OK
      : refuseEntry(
          'malformed_entry',
          `meta.schemaVersion must be an integer from ${lowest} to ${kind.schemaVersion}`,
        );
  }
  return refuseEntry('malformed_entry', `meta has no entry "${clip(key)}"`);
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
