/**
 * Add-wins set on Yjs (SPEC: SET1–SET3). A top-level Y.Map keyed by element. An add always writes a
 * fresh entry, even for an element already present; a remove deletes only the entry its replica
 * saw. So an add concurrent with a remove leaves a live entry: the add wins.
 */
import type * as Y from 'yjs';

export type TagSetMap = Y.Map<unknown>;

/** Elements in ascending order, so every replica materializes the same array. */
export function readTagSet(map: TagSetMap): string[] {
  return Array.from(map.keys()).sort();
}

export function addTag(map: TagSetMap, tag: string): void {
  map.set(tag, true);
}

export function removeTag(map: TagSetMap, tag: string): void {
  if (map.has(tag)) map.delete(tag);
}
