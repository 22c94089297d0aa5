/**
 * Compensation is total (SPEC COMP5): whatever a document holds — written by old clients, by
 * several instances at once, or behind the server's back — compensating its invalid fields ends
 * with a document the schema accepts. The oracle is the schema itself.
 */
import fc from 'fast-check';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import {
  HybridClock,
  Origin,
  SERVER_IDENTITY,
  compensate,
  fieldsOf,
  materialize,
  productKind,
  profileKind,
  validateDocument,
  writeRegister,
  type DocumentKind,
} from '../src/index.js';

const runs = Number(process.env.CONCORD_FUZZ_RUNS ?? 200);

const junk = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1.5, -1, 1e12),
);
const slotKey = fc.oneof(fc.integer({ min: 1, max: 99 }).map(String), fc.constant('junk'));

/** A recipe for a document no honest writer makes: arbitrary entries in every field. */
const recipe = fc.record({
  kind: fc.constantFrom('product', 'profile', 'other'),
  version: fc.constantFrom<unknown>(1, 1.5, 0, 99, 'x'),
  registers: fc.array(
    fc.record({
      key: slotKey,
      value: junk,
      wallMs: fc.integer({ min: 0, max: 2e12 }),
      counter: fc.nat(5),
    }),
    { maxLength: 12 },
  ),
  textLength: fc.oneof(fc.nat(60), fc.constant(25_000)),
  tags: fc.array(
    fc.oneof(fc.string({ minLength: 1, maxLength: 45 }), fc.constantFrom(' bad', 'ok')),
    {
      maxLength: 80,
    },
  ),
  counters: fc.array(
    fc.record({
      key: slotKey,
      value: fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 7, 1.5, 'x'),
    }),
    { maxLength: 6 },
  ),
});

type Recipe = typeof recipe extends fc.Arbitrary<infer T> ? T : never;

function build(kind: DocumentKind<object>, r: Recipe): Y.Doc {
  const doc = new Y.Doc();
  doc.transact(() => {
    doc.getMap('meta').set('kind', r.kind);
    doc.getMap('meta').set('schemaVersion', r.version);
    const fields = Object.entries(kind.fields);
    r.registers.forEach((slot, i) => {
      const registers = fields.filter(([, s]) => s.kind === 'register');
      const [field] = registers[i % registers.length]!;
      doc.getMap(`r:${field}`).set(slot.key, {
        v: slot.value,
        t: { wallMs: slot.wallMs, counter: slot.counter, replicaId: 'r' },
        by: 'x',
      });
    });
    for (const [field, spec] of fields) {
      if (spec.kind === 'text') doc.getText(`t:${field}`).insert(0, 'x'.repeat(r.textLength));
      if (spec.kind === 'set') for (const tag of r.tags) doc.getMap(`s:${field}`).set(tag, true);
      if (spec.kind === 'counter')
        for (const c of r.counters) doc.getMap(`c:${field}`).set(c.key, c.value);
    }
  });
  return doc;
}

describe('total compensation', () => {
  for (const kind of [productKind, profileKind] as DocumentKind<object>[]) {
    it(`COMP5: any ${kind.kind} state ends valid after compensating its invalid fields`, () => {
      fc.assert(
        fc.property(recipe, (r) => {
          const doc = build(kind, r);
          const lastValid = materialize(new Y.Doc(), kind, 'x'); // what a fresh document reads
          const current = materialize(doc, kind, 'x');
          const result = validateDocument(kind, current);
          if (result.ok) return;
          const clock = new HybridClock({ replicaId: 'server', physicalNow: () => 3e12 });
          compensate(
            doc,
            kind,
            lastValid,
            current,
            fieldsOf(result.issues),
            clock,
            SERVER_IDENTITY,
            Origin.server,
          );
          expect(validateDocument(kind, materialize(doc, kind, 'x'))).toMatchObject({ ok: true });
        }),
        { numRuns: runs },
      );
    });
  }

  it('COMP5: a register left with only junk gets the server’s value, which later writers still beat', () => {
    const doc = new Y.Doc();
    doc.getMap('r:name').set('5', { v: 'x', t: 'junk', by: 'x' });
    const clock = new HybridClock({ replicaId: 'server' });
    const json = materialize(doc, productKind, 'x');
    compensate(
      doc,
      productKind,
      { ...json, name: 'Restored' },
      json,
      ['name'],
      clock,
      SERVER_IDENTITY,
      Origin.server,
    );
    expect(materialize(doc, productKind, 'x').name).toBe('Restored');
    const later = new HybridClock({ replicaId: 'z', physicalNow: () => Date.now() + 1000 });
    writeRegister(doc.getMap('r:name'), 'Later', later, 'ann');
    expect(materialize(doc, productKind, 'x').name).toBe('Later');
  });
});
