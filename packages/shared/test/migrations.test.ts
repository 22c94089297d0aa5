/**
 * Offline-safe schema migrations (SPEC MIG1–MIG4), with two app versions side by side: a v1 and a
 * v2 of a document kind, and the product kind's own v1 → v2 (tags by writer).
 */
import * as Y from 'yjs';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import {
  HybridClock,
  Origin,
  addTag,
  applyPatch,
  materialize,
  migrateDocument,
  productKind,
  readTagSet,
  removeTag,
  type DocumentKind,
} from '../src/index.js';

const title = z.string().max(100);
/** Version 1 of a small kind, as an older app ships it. */
const noteV1: DocumentKind<object> = {
  kind: 'profile',
  schemaVersion: 1,
  fields: {
    displayName: { kind: 'register', default: 'Untitled', value: title },
    bio: { kind: 'text', value: z.string().max(5_000) },
  },
  schema: z.object({
    kind: z.literal('profile'),
    id: z.string(),
    schemaVersion: z.number().int(),
    displayName: title,
    bio: z.string(),
  }),
  migrations: {},
};
/** Version 2 adds a field and a migration that gives old documents a value for it. */
const noteV2: DocumentKind<object> = {
  ...noteV1,
  schemaVersion: 2,
  fields: { ...noteV1.fields, locale: { kind: 'register', default: 'en', value: z.string() } },
  schema: z.object({
    kind: z.literal('profile'),
    id: z.string(),
    schemaVersion: z.number().int(),
    displayName: title,
    bio: z.string(),
    locale: z.string(),
  }),
  migrations: {
    1: (doc) => {
      const map = doc.getMap<unknown>('r:locale');
      if (map.size === 0)
        map.set('0', {
          v: 'de',
          t: { wallMs: 0, counter: 0, replicaId: 'migration' },
          by: 'migration',
        });
    },
  },
};

const ctx = (id: string) => ({ clock: new HybridClock({ replicaId: id }), writer: id });
const sync = (a: Y.Doc, b: Y.Doc) => {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
};
const replica = (clientID: number) => {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  return doc;
};

describe('schema migrations', () => {
  it('MIG1: v2 code migrates a v1 document in one transaction (origin migration); again, it changes nothing', () => {
    const doc = replica(1);
    applyPatch(doc, noteV1, { displayName: 'Ada', bio: 'Hello' }, ctx('a'));
    const origins: unknown[] = [];
    doc.on('afterTransaction', (tr: Y.Transaction) => origins.push(tr.origin));
    expect(migrateDocument(doc, noteV2)).toEqual({ ok: true, from: 1, to: 2 });
    expect(origins).toEqual([Origin.migration]);
    expect(materialize(doc, noteV2, 'x')).toMatchObject({
      schemaVersion: 2,
      displayName: 'Ada',
      locale: 'de',
    });
    const before = Y.encodeStateVector(doc);
    expect(migrateDocument(doc, noteV2)).toEqual({ ok: true, from: 2, to: 2 });
    expect(Y.encodeStateVector(doc)).toEqual(before);
  });

  it('MIG2: v1 code refuses a v2 document and leaves it as it is', () => {
    const doc = replica(1);
    applyPatch(doc, noteV2, { displayName: 'New' }, ctx('a'));
    const before = Y.encodeStateAsUpdate(doc);
    expect(migrateDocument(doc, noteV1)).toMatchObject({ ok: false, code: 'newer_schema' });
    expect(Y.encodeStateAsUpdate(doc)).toEqual(before);
  });

  it('MIG3: a v1 replica’s offline edits merge into the migrated document: the newer field survives, nothing deleted comes back', () => {
    const old = replica(1);
    const fresh = replica(2);
    applyPatch(old, noteV1, { displayName: 'Draft', bio: 'first line' }, ctx('old'));
    sync(old, fresh);
    // The v2 replica migrates and writes the new field; the v1 replica, offline, edits and deletes.
    migrateDocument(fresh, noteV2);
    applyPatch(fresh, noteV2, { locale: 'fr' }, ctx('fresh'));
    applyPatch(old, noteV1, { displayName: 'Final', bio: '' }, ctx('old'));
    sync(old, fresh);
    expect(materialize(fresh, noteV2, 'x')).toMatchObject({
      schemaVersion: 2,
      displayName: 'Final',
      bio: '',
      locale: 'fr',
    });
    // After reload, the new app migrates the old replica's document: same result.
    expect(migrateDocument(old, noteV2)).toMatchObject({ ok: true });
    expect(materialize(old, noteV2, 'x')).toEqual(materialize(fresh, noteV2, 'x'));
  });

  it('MIG3 SET3: product v1 tags (keyed by the tag) stay readable and removable in v2; an offline v1 remove is not undone', () => {
    const v1 = replica(5);
    const v2 = replica(9);
    // v1 layout: meta version 1, tags keyed by the tag itself.
    v1.transact(() => {
      v1.getMap('meta').set('kind', 'product');
      v1.getMap('meta').set('schemaVersion', 1);
      v1.getMap('s:tags').set('sale', true);
      v1.getMap('s:tags').set('wool', true);
    });
    sync(v1, v2);
    expect(migrateDocument(v2, productKind)).toEqual({ ok: true, from: 1, to: 2 });
    expect(readTagSet(v2.getMap('s:tags'))).toEqual(['sale', 'wool']);
    // offline: the v1 app removes "sale" its way; the v2 app adds "new" and removes "wool"
    v1.getMap('s:tags').delete('sale');
    addTag(v2.getMap('s:tags'), 'new');
    removeTag(v2.getMap('s:tags'), 'wool');
    sync(v1, v2);
    for (const d of [v1, v2]) expect(readTagSet(d.getMap('s:tags'))).toEqual(['new']);
  });

  it('MIG4: two replicas migrating the same document at once end identical', () => {
    const a = replica(3);
    const b = replica(4);
    applyPatch(a, noteV1, { displayName: 'Shared', bio: 'text' }, ctx('a'));
    sync(a, b);
    migrateDocument(a, noteV2);
    migrateDocument(b, noteV2);
    sync(a, b);
    expect(Y.encodeStateVector(a)).toEqual(Y.encodeStateVector(b));
    expect(materialize(a, noteV2, 'x')).toEqual(materialize(b, noteV2, 'x'));
    expect(materialize(a, noteV2, 'x')).toMatchObject({ schemaVersion: 2, locale: 'de' });
  });
});
