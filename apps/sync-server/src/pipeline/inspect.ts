/**
 * What an incoming update would add to a document, found by decoding it without applying it: the
 * new structs (those beyond the document's state for their client), the client ids they are
 * written under, and for each new item the top-level type and map key it would land in. Yjs does
 * not encode the parent of an item that has a left or right origin, so the parent is resolved the
 * way Yjs integrates it: from the origin item (in the document or earlier in the update).
 *
 * An update that cannot be integrated as a whole — a clock gap, an origin that exists nowhere, a
 * nested type — is reported here, so that nothing is applied and nothing is buffered (SPEC MEM2).
 */
import * as Y from 'yjs';
import { rootNameOf } from '@concord/shared';

/** A new item of the update, where it would land. */
export interface NewItem {
  readonly client: number;
  /** The top-level type it lands in; undefined when Yjs would discard it (its neighbour is GC). */
  readonly typeName: string | undefined;
  /** Its map key, or null for a sequence (text) item. */
  readonly key: string | null;
  readonly content: Y.Item['content'];
}

export type Inspection =
  | {
      readonly ok: true;
      /** Client ids under which the update adds structs (ownership is checked for these). */
      readonly newClients: ReadonlySet<number>;
      readonly items: readonly NewItem[];
      /** Every top-level name the update's items name, new or not (Yjs creates them on read). */
      readonly rootNames: ReadonlySet<string>;
    }
  | {
      readonly ok: false;
      readonly code: 'malformed_update' | 'missing_dependencies';
      readonly message: string;
    };

type Struct = Y.Item | Y.GC | Y.Skip;
type Place = { typeName: string | undefined; key: string | null } | 'gc' | 'missing' | 'nested';

const fail = (code: 'malformed_update' | 'missing_dependencies', message: string): Inspection => ({
  ok: false,
  code,
  message,
});

/** Inspect `update` against `doc` (an item whose parent is not a top-level type is nested). */
export function inspectUpdate(doc: Y.Doc, update: Uint8Array): Inspection {
  let structs: Struct[];
  try {
    structs = Y.decodeUpdate(update).structs as Struct[];
  } catch (error) {
    return fail('malformed_update', `not a Yjs update: ${(error as Error).message}`);
  }
  const rootNames = new Set<string>();
  const expected = new Map<number, number>();
  const fresh = new Map<number, (Y.Item | Y.GC)[]>();
  for (const s of structs) {
    if (s instanceof Y.Item && typeof s.parent === 'string') rootNames.add(s.parent);
    const client = s.id.client;
    let next = expected.get(client);
    if (next === undefined) next = Y.getState(doc.store, client);
    const end = s.id.clock + s.length;
    if (s instanceof Y.Skip || end <= next) {
      expected.set(client, next);
      continue;
    }
    if (s.id.clock > next) {
      return fail(
        'missing_dependencies',
        `the update lacks client ${client}'s changes from clock ${next} to ${s.id.clock}`,
      );
    }
    let list = fresh.get(client);
    if (!list) fresh.set(client, (list = []));
    list.push(s);
    expected.set(client, end);
  }

  const places = new Map<Y.Item | Y.GC, Place>();
  const findFresh = (id: Y.ID): Y.Item | Y.GC | undefined => {
    const list = fresh.get(id.client);
    if (!list) return undefined;
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = list[mid]!;
      if (id.clock < s.id.clock) hi = mid - 1;
      else if (id.clock >= s.id.clock + s.length) lo = mid + 1;
      else return s;
    }
    return undefined;
  };
  /** Where the struct holding `id` lives; `undefined` while a fresh struct is not resolved yet. */
  const locate = (id: Y.ID): Place | Y.Item | undefined => {
    if (id.clock < Y.getState(doc.store, id.client)) {
      const known = Y.getItem(doc.store, id);
      if (!(known instanceof Y.Item)) return 'gc';
      const typeName = rootNameOf(doc, known.parent);
      return typeName === undefined ? 'nested' : { typeName, key: known.parentSub };
    }
    const f = findFresh(id);
    if (!f) return 'missing';
    if (f instanceof Y.GC) return 'gc';
    return places.get(f) ?? f;
  };

  // Resolve every fresh item's place without recursion (origin chains can be long).
  const items: NewItem[] = [];
  for (const list of fresh.values()) {
    for (const s of list) {
      if (!(s instanceof Y.Item)) continue;
      const stack: Y.Item[] = [s];
      const visiting = new Set<Y.Item>();
      while (stack.length > 0) {
        const item = stack[stack.length - 1]!;
        if (places.has(item)) {
          stack.pop();
          continue;
        }
        visiting.add(item);
        const result = placeOf(item, locate);
        if (result instanceof Y.Item) {
          if (visiting.has(result))
            return fail('missing_dependencies', 'the update refers to itself in a cycle');
          stack.push(result);
          continue;
        }
        places.set(item, result);
        stack.pop();
      }
      const place = places.get(s)!;
      if (place === 'missing')
        return fail(
          'missing_dependencies',
          `client ${s.id.client}'s change at clock ${s.id.clock} refers to content the server does not have`,
        );
      if (place === 'nested')
        return fail('malformed_update', 'nested shared types are not part of the document model');
      items.push({
        client: s.id.client,
        typeName: place === 'gc' ? undefined : place.typeName,
        key: place === 'gc' ? null : place.key,
        content: s.content,
      });
    }
  }
  return { ok: true, newClients: new Set(fresh.keys()), items, rootNames };
}

/**
 * The place of `item` (as Yjs' `getMissing` would set its parent), or the neighbour item that must
 * be resolved first.
 */
function placeOf(item: Y.Item, locate: (id: Y.ID) => Place | Y.Item | undefined): Place | Y.Item {
  if (typeof item.parent === 'string') return { typeName: item.parent, key: item.parentSub };
  if (item.parent instanceof Y.ID) return 'nested';
  const left = item.origin ? locate(item.origin) : undefined;
  if (left instanceof Y.Item) return left;
  const right = item.rightOrigin ? locate(item.rightOrigin) : undefined;
  if (right instanceof Y.Item) return right;
  if (left === 'missing' || right === 'missing') return 'missing';
  if (left === 'gc' || right === 'gc') return 'gc';
  if (left === 'nested' || right === 'nested') return 'nested';
  const from = left ?? right;
  return from ?? 'missing';
}
