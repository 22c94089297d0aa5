import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import {
  HybridClock,
  applyPatch,
  checkPatch,
  createDocument,
  formatDocName,
  isEmptyDocument,
  materialize,
  parseDocName,
  productKind,
  profileKind,
  registerState,
  validateDocument,
  validateFields,
  type DocumentKind,
  type Product,
} from '../src/index.js';

const ctx = (writer = 'alice', wall = () => 1_700_000_000_000) => ({
  clock: new HybridClock({ replicaId: writer, physicalNow: wall }),
  writer,
});

const initialProduct = {
  name: 'Merino socks',
  sku: 'SOCK-42',
  priceCents: 1299,
  currency: 'EUR',
  status: 'active',
  description: 'Warm socks',
  tags: { add: ['wool', 'winter'] },
  stock: { delta: 10 },
};

describe('product and profile documents', () => {
  it('MAT1: a created product materializes to the JSON the schema accepts', () => {
    const doc = createDocument(productKind, initialProduct, ctx());
    const json = materialize(doc, productKind, 'p1');
    expect(json).toEqual({
      kind: 'product',
      id: 'p1',
      schemaVersion: 2,
      name: 'Merino socks',
      sku: 'SOCK-42',
      priceCents: 1299,
      currency: 'EUR',
      status: 'active',
      description: 'Warm socks',
      tags: ['winter', 'wool'],
      stock: 10,
    });
    const result = validateDocument(productKind, json);
    expect(result.ok).toBe(true);
  });

  it('MAT1: an unwritten document is empty and materializes to valid defaults', () => {
    const doc = new Y.Doc();
    expect(isEmptyDocument(doc)).toBe(true);
    expect(validateDocument(productKind, materialize(doc, productKind, 'x')).ok).toBe(true);
    expect(validateDocument(profileKind, materialize(doc, profileKind, 'u')).ok).toBe(true);
    createDocument(profileKind, { displayName: 'Ada' }, ctx(), doc);
    expect(isEmptyDocument(doc)).toBe(false);
  });

  it('PATCH2: a patch edits every field kind in one update: scalar set, minimal text edit, tag add/remove, stock delta', () => {
    const doc = createDocument(productKind, initialProduct, ctx());
    const updates: Uint8Array[] = [];
    doc.on('update', (u: Uint8Array) => updates.push(u));
    applyPatch(
      doc,
      productKind,
      {
        priceCents: 1499,
        description: 'Warm merino socks',
        tags: { add: ['sale'], remove: ['winter'] },
        stock: { delta: -3 },
      },
      ctx('bob', () => 1_700_000_001_000),
    );
    expect(updates).toHaveLength(1);
    const p = materialize(doc, productKind, 'p1') as Product;
    expect(p).toMatchObject({
      priceCents: 1499,
      description: 'Warm merino socks',
      tags: ['sale', 'wool'],
      stock: 7,
    });
    expect(registerState(doc, productKind, 'priceCents').current?.writer).toBe('bob');
  });

  it("PATCH3: setting a field to the value it already has is a new, later write (LWW1 from the writer's view)", () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    let wall = 1_000;
    const ca = {
      clock: new HybridClock({ replicaId: 'a', physicalNow: () => wall }),
      writer: 'ann',
    };
    const cb = {
      clock: new HybridClock({ replicaId: 'b', physicalNow: () => wall }),
      writer: 'ben',
    };
    applyPatch(a, productKind, { name: 'Kettle' }, ca);
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    wall = 2_000;
    applyPatch(b, productKind, { name: 'Teapot' }, cb); // a has not seen this
    wall = 3_000;
    const { stamps } = applyPatch(a, productKind, { name: 'Kettle' }, ca); // same value, later
    expect(stamps.name?.wallMs).toBe(3_000);
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    expect(materialize(a, productKind, 'p').name).toBe('Kettle');
    expect(materialize(b, productKind, 'p').name).toBe('Kettle');
  });

  it('VAL2: validating only the fields a change touched finds exactly what validating the whole document finds', () => {
    const valid = materialize(
      createDocument(productKind, initialProduct, ctx()),
      productKind,
      'p1',
    );
    const invalid: Record<string, unknown> = {
      name: ' ',
      sku: 'bad sku',
      priceCents: 1.5,
      currency: 'EURO',
      status: 'gone',
      description: 'x'.repeat(20_001),
      tags: ['ok', ''],
      stock: Number.MAX_SAFE_INTEGER + 2,
    };
    const fields = Object.keys(productKind.fields);
    expect(Object.keys(invalid).sort()).toEqual([...fields].sort());
    for (const field of fields) {
      const json = { ...valid, [field]: invalid[field] };
      const whole = validateDocument(productKind, json);
      expect(whole.ok).toBe(false);
      const only = validateFields(productKind, json, [field]);
      expect(only).toEqual({ ok: false, issues: whole.ok ? [] : whole.issues });
      // The other fields, valid, are not where the problem is.
      expect(
        validateFields(
          productKind,
          json,
          fields.filter((f) => f !== field),
        ),
      ).toEqual({
        ok: true,
      });
    }
  });

  it('VAL1: validation names each failing field and why', () => {
    const doc = createDocument(productKind, initialProduct, ctx());
    const bad = {
      ...materialize(doc, productKind, 'p1'),
      priceCents: -1,
      currency: 'EURO',
      sku: 'bad sku',
      status: 'gone',
      tags: ['ok', ''],
    };
    const result = validateDocument(productKind, bad);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const byField = Object.fromEntries(result.issues.map((i) => [i.field, i.message]));
    expect(Object.keys(byField).sort()).toEqual([
      'currency',
      'priceCents',
      'sku',
      'status',
      'tags.1',
    ]);
    expect(byField.priceCents).toMatch(/negative/);
    expect(byField.currency).toMatch(/ISO 4217/);
  });

  it('VAL2: real constraints: whole cents, ISO currency, SKU pattern, email format, length limits, tag count', () => {
    const product = materialize(
      createDocument(productKind, initialProduct, ctx()),
      productKind,
      'p',
    );
    const fails = (kind: DocumentKind<object>, base: object, patch: object) =>
      !validateDocument(kind, { ...base, ...patch }).ok;
    expect(fails(productKind, product, { priceCents: 12.5 })).toBe(true);
    expect(fails(productKind, product, { currency: 'XYZ' })).toBe(true);
    expect(fails(productKind, product, { currency: 'JPY' })).toBe(false);
    expect(fails(productKind, product, { sku: 'ab-1' })).toBe(true);
    expect(fails(productKind, product, { sku: '' })).toBe(false);
    expect(fails(productKind, product, { name: 'x'.repeat(201) })).toBe(true);
    expect(fails(productKind, product, { name: '   ' })).toBe(true);
    expect(fails(productKind, product, { description: 'x'.repeat(20_001) })).toBe(true);
    expect(
      fails(productKind, product, { tags: Array.from({ length: 51 }, (_, i) => `t${i}`) }),
    ).toBe(true);
    expect(fails(productKind, product, { tags: ['x'.repeat(41)] })).toBe(true);
    expect(fails(productKind, product, { extra: 1 })).toBe(true);
    const profile = materialize(
      createDocument(profileKind, { displayName: 'Ada' }, ctx()),
      profileKind,
      'ada',
    );
    expect(fails(profileKind, profile, { email: 'not-an-email' })).toBe(true);
    expect(fails(profileKind, profile, { email: 'ada@example.com' })).toBe(false);
    expect(fails(profileKind, profile, { avatarUrl: 'javascript:alert(1)' })).toBe(true);
    expect(fails(profileKind, profile, { avatarUrl: 'https://cdn.example.com/a.png' })).toBe(false);
    expect(fails(profileKind, profile, { locale: 'english' })).toBe(true);
    expect(fails(profileKind, profile, { locale: 'de-CH' })).toBe(false);
    expect(fails(profileKind, profile, { bio: 'x'.repeat(5_001) })).toBe(true);
  });

  it('PATCH1: checkPatch refuses unknown fields and ill-typed values before any edit, naming each', () => {
    const r = checkPatch(productKind, {
      nope: 1,
      priceCents: 'ten',
      tags: { add: ['ok', 7], drop: [] },
      stock: { delta: 0.5 },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.field).sort()).toEqual([
      'nope',
      'priceCents',
      'stock.delta',
      'tags.add.1',
      'tags.drop',
    ]);
    expect(checkPatch(productKind, [1]).ok).toBe(false);
    expect(checkPatch(productKind, { name: 'Fine', stock: { delta: -2 } }).ok).toBe(true);
  });
});

describe('document names', () => {
  it('NAME1: product:<id> and profile:<userId> parse and format round-trip', () => {
    expect(parseDocName('product:abc-123')).toEqual({
      ok: true,
      name: { kind: 'product', id: 'abc-123' },
    });
    expect(parseDocName('profile:u_1')).toEqual({ ok: true, name: { kind: 'profile', id: 'u_1' } });
    expect(formatDocName({ kind: 'product', id: 'abc' })).toBe('product:abc');
  });

  it('NAME2: anything else is refused with a clear error', () => {
    for (const bad of [
      '',
      'product',
      'product:',
      'invoice:1',
      'product:a b',
      'product:../x',
      'product:' + 'x'.repeat(65),
      'PRODUCT:x',
    ]) {
      const r = parseDocName(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.error).toMatch(/invalid document name/);
    }
    expect(() => formatDocName({ kind: 'product', id: 'a/b' })).toThrow(RangeError);
  });
});
