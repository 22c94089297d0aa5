/**
 * Add-wins set on Yjs (SPEC: SET1–SET4): everything a set field means lives here (`setField`).
 *
 * A top-level Y.Map with one entry per element *and* writer: key `<client id>:<element>`, value
 * `true`. Two replicas never write the same key, so Yjs never has to pick one of two concurrent
 * writes of a key (which it does by client id, not by causality). An add writes its replica's own
 * entry (afresh, even when the element is present); a remove deletes exactly the entries its
 * replica sees. A remove therefore never cancels an add it did not see: the add wins.
 *
 * Documents written before this layout keep entries keyed by the element alone; they are read as
 * elements too and deleted by removes, so nothing an older replica wrote or removed is lost or
 * comes back (MIG3). Elements never contain ':' (the schemas forbid it), so the two layouts never
 * collide.
 */
import type * as Y from 'yjs';
import {
  ENTRY_OK,
  isObject,
  refuseEntry,
  valueChange,
  combineValues,
  type FieldOps,
  type FieldSpec,
  type SetPatch,
} from './fieldKind.js';
import type { FieldIssue } from './validation.js';
import { validateWith } from './validation.js';

export type TagSetMap = Y.Map<unknown>;

/** Longest key of a set entry; elements themselves are validated by the schema. */
export const MAX_SET_KEY_LENGTH = 1_000;

const OWN_KEY = /^(\d+):(.+)$/s;

/** The element an entry key holds: `<client>:<element>`, or a legacy key that is the element. */
export function elementOfKey(key: string): string {
  const m = OWN_KEY.exec(key);
  return m ? m[2]! : key;
}

/** Elements in ascending order, each once, so every replica materializes the same array. */
export function readTagSet(map: TagSetMap): string[] {
  const elements = new Set<string>();
  for (const key of map.keys()) elements.add(elementOfKey(key));
  return [...elements].sort();
}

/** Add `element` as this replica (a fresh entry under its own key). */
export function addTag(map: TagSetMap, element: string): void {
  const doc = map.doc;
  if (!doc) throw new Error('addTag: the set map is not attached to a Y.Doc');
  map.set(`${doc.clientID}:${element}`, true);
}

/** Remove `element`: delete every entry for it that this replica sees (and only those). */
export function removeTag(map: TagSetMap, element: string): void {
  const doomed: string[] = [];
  for (const key of map.keys()) if (elementOfKey(key) === element) doomed.push(key);
  for (const key of doomed) map.delete(key);
}

/** The adds and removes that turn the elements `from` into `to`; undefined when equal. */
function setDiff(from: unknown, to: unknown): SetPatch | undefined {
  const have = new Set(Array.isArray(from) ? (from as string[]) : []);
  const want = new Set(Array.isArray(to) ? (to as string[]) : []);
  const add = [...want].filter((e) => !have.has(e));
  const remove = [...have].filter((e) => !want.has(e));
  return add.length + remove.length === 0 ? undefined : { add, remove };
}

type SetSpec = Extract<FieldSpec, { kind: 'set' }>;

export const setField: FieldOps<SetSpec> = {
  prefix: 's',
  type: (doc, typeName) => doc.getMap<unknown>(typeName),
  read: (doc, typeName) => readTagSet(doc.getMap<unknown>(typeName)),
  checkPatch(spec, field, value) {
    if (!isObject(value)) {
      return [{ field, code: 'invalid_type', message: 'expected {"add": [...], "remove": [...]}' }];
    }
    const issues: FieldIssue[] = [];
    for (const [op, list] of Object.entries(value)) {
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
        list.forEach((element: unknown, i) => {
          const r = validateWith(spec.element, element);
          if (!r.ok) issues.push(...r.issues.map((x) => ({ ...x, field: `${field}.${op}.${i}` })));
        });
      }
    }
    return issues;
  },
  apply(doc, typeName, _spec, value) {
    const map = doc.getMap<unknown>(typeName);
    const ops = value as SetPatch;
    for (const element of ops.remove ?? []) removeTag(map, element);
    for (const element of ops.add ?? []) addTag(map, element);
    return undefined;
  },
  patchTo: (_spec, from, to) => setDiff(from, to),
  repair(spec, current) {
    const valid = (Array.isArray(current) ? (current as unknown[]) : []).filter(
      (e): e is string => typeof e === 'string' && spec.element.safeParse(e).success,
    );
    return valid.sort().slice(0, spec.max ?? valid.length);
  },
  compensate(doc, typeName, _spec, target) {
    const map = doc.getMap<unknown>(typeName);
    const keep = new Set(Array.isArray(target) ? (target as string[]) : []);
    for (const element of readTagSet(map)) if (!keep.has(element)) removeTag(map, element);
  },
  checkEntry(field, key, value, w) {
    if (value !== true || key.length === 0 || key.length > MAX_SET_KEY_LENGTH) {
      return refuseEntry(
        'malformed_entry',
        `${field}: a set entry is a non-empty key mapped to true`,
      );
    }
    const m = OWN_KEY.exec(key);
    // A legacy entry (the element alone) is what an older app version queued offline.
    if (m && m[1] !== String(w.client)) {
      return refuseEntry(
        'forged_identity',
        `${field}: a set entry must be keyed by its writer's client id`,
      );
    }
    return ENTRY_OK;
  },
  change: valueChange,
  combine: combineValues,
  // Undo this change's own difference, keeping everyone else's since (REV1).
  revert(spec, change) {
    return this.patchTo(spec, change.to, change.from);
  },
  compare(from, to) {
    const before = new Set(Array.isArray(from) ? (from as string[]) : []);
    const after = new Set(Array.isArray(to) ? (to as string[]) : []);
    return {
      type: 'set',
      added: [...after].filter((t) => !before.has(t)).sort(),
      removed: [...before].filter((t) => !after.has(t)).sort(),
    };
  },
  describe({ from, to }) {
    const patch = setDiff(from, to);
    if (!patch) return 'unchanged';
    const parts = [];
    if (patch.add?.length) parts.push(`added ${patch.add.join(', ')}`);
    if (patch.remove?.length) parts.push(`removed ${patch.remove.join(', ')}`);
    return parts.join('; ');
  },
};
