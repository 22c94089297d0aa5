/**
 * The write pipeline's stages, one by one, on real Y.Docs (SPEC PIPE1, ID1, STRUCT1, MEM2, SO5).
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  HybridClock,
  Origin,
  ReasonCode,
  applyPatch,
  documentKinds,
  productKind,
} from '@concord/shared';
import { LiveDoc } from '../src/docs/liveDoc.js';
import { SeqTracker } from '../src/docs/seqTracker.js';
import { SnapshotProgress } from '../src/docs/snapshotPolicy.js';
import { applyCaptured } from '../src/pipeline/apply.js';
import { ClientOwners } from '../src/pipeline/identity.js';
import { inspectUpdate } from '../src/pipeline/inspect.js';
import { checkStructure } from '../src/pipeline/structure.js';

function live(state: Uint8Array[] = [], owners: { client: number; user: string }[] = []): LiveDoc {
  const doc = new Y.Doc({ guid: 'product:p' });
  for (const update of state) Y.applyUpdate(doc, update);
  const bytes = state.reduce((n, u) => n + u.byteLength, 0);
  return new LiveDoc(
    'product:p',
    { kind: 'product', id: 'p' },
    documentKinds.product,
    {
      doc,
      bytes,
      headSeq: state.length,
      snapshots: new SnapshotProgress({ entries: 0, bytes: 0 }, 0, 0),
      owners,
    },
    300_000,
    () => Date.now(),
  );
}

function diff(doc: Y.Doc, fn: () => void): Uint8Array {
  const before = Y.encodeStateVector(doc);
  fn();
  return Y.encodeStateAsUpdate(doc, before);
}

const ctx = (writer: string) => ({ clock: new HybridClock({ replicaId: writer }), writer });

describe('inspect', () => {
  it('PIPE1: reports the client ids an update adds structs under, and where each new item lands', () => {
    const target = live();
    const client = new Y.Doc();
    const update = diff(client, () =>
      applyPatch(
        client,
        productKind,
        { name: 'Lamp', description: 'Bright', stock: { delta: 2 } },
        ctx('ann'),
      ),
    );
    const result = inspectUpdate(target.doc, update);
    if (!result.ok) throw new Error(result.message);
    expect([...result.newClients]).toEqual([client.clientID]);
    const places = result.items.map((i) => `${i.typeName}/${i.key ?? '-'}`).sort();
    expect(places).toEqual(
      [
        `c:stock/${client.clientID}`,
        'meta/kind',
        'meta/schemaVersion',
        `r:name/${client.clientID}`,
        't:description/-',
      ].sort(),
    );
  });

  it('PIPE1: items without parent info are placed through their origin, in the document or in the update', () => {
    const base = new Y.Doc();
    const first = diff(base, () => applyPatch(base, productKind, { name: 'One' }, ctx('ann')));
    const target = live([first]);
    const next = diff(base, () =>
      applyPatch(base, productKind, { name: 'Two', description: 'ab' }, ctx('ann')),
    );
    const result = inspectUpdate(target.doc, next);
    if (!result.ok) throw new Error(result.message);
    expect(result.items.find((i) => i.typeName === 'r:name')?.key).toBe(String(base.clientID));
    expect(result.newClients.size).toBe(1);
    // An update the document already holds adds nothing.
    const again = inspectUpdate(target.doc, first);
    expect(again.ok && again.newClients.size).toBe(0);
  });

  it('MEM2: a clock gap or an origin that exists nowhere is reported, nothing is applied', () => {
    const target = live();
    const source = new Y.Doc();
    const updates: Uint8Array[] = [];
    source.on('update', (u: Uint8Array) => updates.push(u));
    source.getText('t:description').insert(0, 'abc');
    source.getText('t:description').insert(3, 'def');
    const gap = inspectUpdate(target.doc, updates[1]!);
    expect(gap).toMatchObject({ ok: false, code: 'missing_dependencies' });

    const other = new Y.Doc();
    Y.applyUpdate(other, updates[0]!);
    const onTop = diff(other, () => other.getText('t:description').insert(1, 'X'));
    expect(inspectUpdate(target.doc, onTop)).toMatchObject({
      ok: false,
      code: 'missing_dependencies',
    });
    expect(target.doc.store.clients.size).toBe(0);
  });

  it('STRUCT1: nested types are refused; unknown top-level names are reported', () => {
    const target = live();
    const client = new Y.Doc();
    const nested = diff(client, () =>
      client.getMap('r:name').set(String(client.clientID), new Y.Map()),
    );
    const n = inspectUpdate(target.doc, nested);
    if (!n.ok) throw new Error(n.message);
    expect(
      checkStructure(
        { kind: productKind, user: 'ann', nowMs: Date.now(), maxSkewMs: 1, docVersion: 2 },
        n.rootNames,
        n.items,
      ),
    ).toMatchObject({ code: ReasonCode.malformedUpdate });
    const fresh = new Y.Doc();
    const junk = diff(fresh, () => fresh.getArray('junk').push([1, 2, 3]));
    const j = inspectUpdate(target.doc, junk);
    if (!j.ok) throw new Error(j.message);
    expect([...j.rootNames]).toEqual(['junk']);
    expect(
      checkStructure(
        { kind: productKind, user: 'ann', nowMs: Date.now(), maxSkewMs: 1, docVersion: 2 },
        j.rootNames,
        j.items,
      ),
    ).toMatchObject({ code: ReasonCode.malformedUpdate });
  });
});

describe('structure', () => {
  const check = (fn: (d: Y.Doc) => void, user = 'ann') => {
    const target = live();
    const d = new Y.Doc();
    const result = inspectUpdate(
      target.doc,
      diff(d, () => fn(d)),
    );
    if (!result.ok) throw new Error(result.message);
    return checkStructure(
      { kind: productKind, user, nowMs: Date.now(), maxSkewMs: 60_000, docVersion: 2 },
      result.rootNames,
      result.items,
    );
  };

  it('ID2 HLC6 STRUCT1: slots must be the writer’s own, name the writer, carry bounded stamps; meta only this kind', () => {
    const t = { wallMs: Date.now(), counter: 0, replicaId: 'r' };
    expect(check((d) => applyPatch(d, productKind, { name: 'ok' }, ctx('ann')))).toBeUndefined();
    expect(
      check((d) => applyPatch(d, productKind, { name: 'named bob' }, ctx('bob'))),
    ).toMatchObject({
      code: ReasonCode.forgedIdentity,
    });
    expect(check((d) => d.getMap('r:sku').set('123', { v: 'x', t, by: 'ann' }))).toMatchObject({
      code: ReasonCode.forgedIdentity,
    });
    expect(
      check((d) =>
        d
          .getMap('r:sku')
          .set(String(d.clientID), { v: 'x', t: { ...t, counter: 2 ** 40 }, by: 'ann' }),
      ),
    ).toMatchObject({ code: ReasonCode.clockRange });
    expect(
      check((d) =>
        d.getMap('r:sku').set(String(d.clientID), {
          v: 'x',
          t: { ...t, wallMs: Date.now() + 120_000 },
          by: 'ann',
        }),
      ),
    ).toMatchObject({ code: ReasonCode.clockSkew });
    expect(check((d) => d.getMap('c:stock').set(String(d.clientID), 1e16))).toMatchObject({
      code: ReasonCode.malformedUpdate,
    });
    expect(check((d) => d.getMap('meta').set('schemaVersion', 1.5))).toMatchObject({
      code: ReasonCode.malformedUpdate,
    });
    expect(check((d) => d.getMap('meta').set('kind', 'profile'))).toMatchObject({
      code: ReasonCode.malformedUpdate,
    });
    expect(check((d) => d.getText('t:description').insert(0, 'plain text'))).toBeUndefined();
    expect(
      check((d) => d.getText('t:description').insert(0, 'bold', { bold: true })),
    ).toMatchObject({
      code: ReasonCode.malformedUpdate,
    });
  });
});

describe('identity', () => {
  it('ID1: the first writer owns a client id; only unpersisted ownership is claimed in the log; the log’s owners win', () => {
    const owners = new ClientOwners([{ client: 1, user: 'ann' }]);
    expect(owners.foreign([1, 2], 'bob')).toEqual([1]);
    owners.claim([2], 'bob');
    expect(owners.foreign([2], 'ann')).toEqual([2]);
    expect(owners.toPersist([1, 2])).toEqual([{ client: 2, user: 'bob' }]);
    expect(owners.toPersist([2])).toEqual([]);
    owners.claim([3], 'mallory'); // by awareness only
    owners.learn([3], 'ann'); // the log says otherwise
    expect(owners.ownerOf(3)).toBe('ann');
  });
});

describe('apply', () => {
  it('MEM2: nothing that could not be integrated stays behind, and the clocks it advanced are reported', () => {
    const target = live();
    const source = new Y.Doc();
    const updates: Uint8Array[] = [];
    source.on('update', (u: Uint8Array) => updates.push(u));
    source.getText('t:description').insert(0, 'abc');
    source.getText('t:description').insert(3, 'def');
    const { applied } = applyCaptured(
      target,
      (o) => Y.applyUpdate(target.doc, updates[1]!, o),
      Origin.local,
    );
    expect(applied).toBeUndefined();
    expect(target.doc.store.pendingStructs).toBeNull();
    const ok = applyCaptured(
      target,
      (o) => Y.applyUpdate(target.doc, updates[0]!, o),
      Origin.local,
    );
    expect(ok.applied?.clocks).toEqual([[source.clientID, 3]]);
    expect([...(ok.applied?.changed ?? [])]).toEqual(['description']);
  });
});

describe('versions', () => {
  it('SO5: a copy’s version is the contiguous prefix of the log it holds, whatever order entries came in', () => {
    const t = new SeqTracker(7);
    expect(t.add(9)).toBe(true);
    expect(t.through).toBe(7);
    expect(t.hasGap).toBe(true);
    expect(t.add(9)).toBe(false);
    expect(t.add(8)).toBe(true);
    expect(t.through).toBe(9);
    expect(t.hasGap).toBe(false);
    expect(t.highest).toBe(9);
  });
});
