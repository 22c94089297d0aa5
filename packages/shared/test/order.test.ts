import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import {
  HybridClock,
  SERVER_IDENTITY,
  applyPatch,
  checkMapEntry,
  checkPatch,
  materialize,
  opsOf,
  orderKind,
  productKind,
  readCounter,
  settleCounter,
  lockedChanges,
  validateDocument,
  type Order,
} from '../src/index.js';

const line = (product: string, quantity: number, unitPriceCents = 500) => ({
  product,
  quantity,
  unitPriceCents,
  currency: 'EUR',
});

function replica(writer: string, wall: () => number) {
  const doc = new Y.Doc();
  const clock = new HybridClock({ replicaId: writer, physicalNow: wall });
  return {
    doc,
    edit: (patch: Parameters<typeof applyPatch>[2]) =>
      applyPatch(doc, orderKind, patch, { clock, writer }),
    read: () => materialize(doc, orderKind, 'o1') as Order,
  };
}

function sync(a: Y.Doc, b: Y.Doc) {
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
}

describe('order lines (LINE1–LINE4)', () => {
  it('LINE1: concurrent edits of different lines both stay; of one line, the later wins everywhere', () => {
    let t = 1_000;
    const ana = replica('ana', () => t);
    const ben = replica('ben', () => t);
    ana.edit({ lines: { set: { a: line('lamp', 1) } } });
    sync(ana.doc, ben.doc);
    t = 2_000;
    ana.edit({ lines: { set: { a: line('lamp', 2), b: line('desk', 1) } } });
    t = 3_000;
    ben.edit({ lines: { set: { a: line('lamp', 5), c: line('rug', 4) } } });
    sync(ana.doc, ben.doc);
    expect(ana.read()).toEqual(ben.read());
    expect(ana.read().lines.map((l) => [l.id, l.product, l.quantity])).toEqual([
      ['a', 'lamp', 5],
      ['b', 'desk', 1],
      ['c', 'rug', 4],
    ]);
    expect(validateDocument(orderKind, ana.read()).ok).toBe(true);
  });

  it('LINE2: a removal is a write: a later edit of the line brings it back, an earlier one does not', () => {
    let t = 1_000;
    const ana = replica('ana', () => t);
    const ben = replica('ben', () => t);
    ana.edit({ lines: { set: { a: line('lamp', 1), b: line('desk', 1) } } });
    sync(ana.doc, ben.doc);
    t = 2_000;
    ben.edit({ lines: { set: { a: line('lamp', 3) } } });
    t = 3_000;
    ana.edit({ lines: { remove: ['a', 'b'] } });
    t = 4_000;
    ben.edit({ lines: { set: { b: line('desk', 9) } } });
    sync(ana.doc, ben.doc);
    expect(ana.read()).toEqual(ben.read());
    expect(ana.read().lines.map((l) => [l.id, l.quantity])).toEqual([['b', 9]]);
  });

  it('LINE3: patches and entries are checked: line shape, ids, the writer’s own slot', () => {
    expect(checkPatch(orderKind, { lines: { set: { a: line('lamp', 0) } } })).toMatchObject({
      ok: false,
      issues: [{ field: 'lines.a.quantity' }],
    });
    expect(checkPatch(orderKind, { lines: { set: { 'a b': line('lamp', 1) } } }).ok).toBe(false);
    expect(checkPatch(orderKind, { lines: { add: [] } }).ok).toBe(false);
    expect(
      checkPatch(orderKind, { lines: { set: { a: line('lamp', 2) }, remove: ['b'] } }).ok,
    ).toBe(true);
    const writer = { client: 7, user: 'ana', nowMs: 10_000, maxSkewMs: 60_000 };
    const slot = {
      v: JSON.stringify(line('lamp', 1)),
      t: { wallMs: 9_000, counter: 0, replicaId: 'ana' },
      by: 'ana',
    };
    expect(checkMapEntry(orderKind, 'l:lines', 'a@7', slot, writer)).toEqual({ ok: true });
    expect(checkMapEntry(orderKind, 'l:lines', 'a@8', slot, writer)).toMatchObject({
      code: 'forged_identity',
    });
    expect(
      checkMapEntry(orderKind, 'l:lines', 'a@7', { ...slot, by: 'ben' }, writer),
    ).toMatchObject({ code: 'forged_identity' });
    expect(checkMapEntry(orderKind, 'l:lines', 'a@7', { ...slot, v: 42 }, writer)).toMatchObject({
      code: 'malformed_entry',
    });
    expect(
      checkMapEntry(
        orderKind,
        'l:lines',
        'a@7',
        { ...slot, t: { wallMs: 900_000, counter: 0, replicaId: 'ana' } },
        writer,
      ),
    ).toMatchObject({ code: 'clock_skew' });
  });

  it('LINE4: reverting a change undoes only the lines it touched', () => {
    const ops = opsOf(orderKind.fields.lines!);
    const before = [{ id: 'a', ...line('lamp', 1) }];
    const after = [
      { id: 'a', ...line('lamp', 2) },
      { id: 'b', ...line('desk', 1) },
    ];
    const change = ops.change(before, after)!;
    expect(ops.describe(change)).toBe('1 × lamp → 2 × lamp; added 1 × desk');
    const now = [...after, { id: 'c', ...line('rug', 3) }];
    expect(ops.revert(orderKind.fields.lines!, change, now)).toEqual({
      set: { a: line('lamp', 1) },
      remove: ['b'],
    });
  });
});

describe('order status (ORD1)', () => {
  it('is the server’s alone: anyone else’s entry is refused', () => {
    const slot = { v: 'paid', t: { wallMs: 9_000, counter: 0, replicaId: 'x' }, by: 'ana' };
    const ana = { client: 7, user: 'ana', nowMs: 10_000, maxSkewMs: 60_000 };
    expect(checkMapEntry(orderKind, 'r:status', '7', slot, ana)).toMatchObject({
      ok: false,
      code: 'forged_identity',
    });
    const server = { ...ana, user: SERVER_IDENTITY };
    expect(
      checkMapEntry(orderKind, 'r:status', '7', { ...slot, by: SERVER_IDENTITY }, server),
    ).toEqual({ ok: true });
    expect(checkPatch(orderKind, { status: 'paid' })).toMatchObject({
      ok: false,
      issues: [{ field: 'status', code: 'server_only' }],
    });
    const draft = replica('ana', () => 1_000);
    draft.edit({ customer: 'ACME', notes: 'Deliver before noon' });
    expect(draft.read()).toMatchObject({ status: 'draft', customer: 'ACME', lines: [] });
  });
});

describe('stock settlements (CTR5)', () => {
  it('take an order’s units off once, however often they are written; only the server writes them', () => {
    const doc = new Y.Doc();
    const clock = new HybridClock({ replicaId: 'w' });
    applyPatch(doc, productKind, { stock: { delta: 10 } }, { clock, writer: 'ana' });
    const map = doc.getMap<unknown>('c:stock');
    settleCounter(map, 'order-o1', -3);
    settleCounter(map, 'order-o1', -3);
    expect(readCounter(map)).toBe(7);
    const copy = new Y.Doc();
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
    settleCounter(copy.getMap<unknown>('c:stock'), 'order-o1', -3);
    sync(doc, copy);
    expect(readCounter(map)).toBe(7);
    const ana = { client: 7, user: 'ana', nowMs: 10_000, maxSkewMs: 60_000 };
    expect(checkMapEntry(productKind, 'c:stock', 'settle:order-x', -1, ana)).toMatchObject({
      code: 'forged_identity',
    });
    expect(
      checkMapEntry(productKind, 'c:stock', 'settle:order-x', -1, {
        ...ana,
        user: SERVER_IDENTITY,
      }),
    ).toEqual({ ok: true });
  });
});

describe('locked fields (ORD5, LOCK1)', () => {
  it('an order’s lines may change while a draft or released, not once placed', () => {
    const line1 = [{ id: 'a', ...line('lamp', 1) }];
    const line2 = [{ id: 'a', ...line('lamp', 2) }];
    const at = (status: string, lines: unknown) => ({ status, lines, customer: 'x' });
    expect(lockedChanges(orderKind, at('draft', line1), at('draft', line2))).toEqual([]);
    expect(lockedChanges(orderKind, at('released', line1), at('released', line2))).toEqual([]);
    expect(lockedChanges(orderKind, at('placed', line1), at('placed', line2))).toMatchObject([
      { field: 'lines', code: 'locked' },
    ]);
    expect(lockedChanges(orderKind, at('paid', line1), at('paid', line1))).toEqual([]);
    expect(
      lockedChanges(orderKind, at('paid', line1), { ...at('paid', line1), customer: 'y' }),
    ).toEqual([]);
  });
});
