import { describe, expect, it } from 'vitest';
import { RevertError, compareDocuments, productKind, revertChange } from '../src/index.js';

describe('comparing versions (CMP1)', () => {
  it('values before/after, tags added and removed, text as kept/inserted/deleted words; equal fields left out', () => {
    const diffs = compareDocuments(
      productKind,
      { name: 'Lamp', priceCents: 100, tags: ['a', 'b'], description: 'Warm light.', stock: 3 },
      {
        name: 'Lamp',
        priceCents: 250,
        tags: ['b', 'c'],
        description: 'Warm dimmable light.',
        stock: 3,
      },
    );
    expect(diffs).toEqual(
      [
        { field: 'priceCents', diff: { type: 'value', from: 100, to: 250 } },
        {
          field: 'description',
          diff: {
            type: 'text',
            parts: [{ value: 'Warm ' }, { value: 'dimmable ', added: true }, { value: 'light.' }],
          },
        },
        { field: 'tags', diff: { type: 'set', added: ['c'], removed: ['a'] } },
      ].sort(
        (x, y) =>
          Object.keys(productKind.fields).indexOf(x.field) -
          Object.keys(productKind.fields).indexOf(y.field),
      ),
    );
  });

  it('property-free oracle: the text parts without deletions spell the new text, without insertions the old', () => {
    const [d] = compareDocuments(
      productKind,
      { description: 'one two three' },
      { description: 'one 2 three four' },
    );
    if (d?.diff.type !== 'text') throw new Error('expected a text diff');
    expect(
      d.diff.parts
        .filter((p) => !p.removed)
        .map((p) => p.value)
        .join(''),
    ).toBe('one 2 three four');
    expect(
      d.diff.parts
        .filter((p) => !p.added)
        .map((p) => p.value)
        .join(''),
    ).toBe('one two three');
  });
});

describe('reverting a change (REV1)', () => {
  it('a register goes back to its value before; counters and tags undo only their own difference', () => {
    expect(
      revertChange(productKind, { field: 'priceCents', from: 100, to: 200 }, { priceCents: 300 }),
    ).toEqual({ priceCents: 100 });
    expect(revertChange(productKind, { field: 'stock', from: 3, to: 8 }, { stock: 10 })).toEqual({
      stock: { delta: -5 },
    });
    expect(
      revertChange(productKind, { field: 'tags', from: ['a'], to: ['b'] }, { tags: ['b', 'x'] }),
    ).toEqual({
      tags: { add: ['a'], remove: ['b'] },
    });
    expect(
      revertChange(productKind, { field: 'priceCents', from: 100, to: 200 }, { priceCents: 100 }),
    ).toEqual({});
  });

  it('text undoes its splice where the inserted text is now, and refuses when it is gone', () => {
    const change = { field: 'description', at: 5, from: '', to: 'dimmable ' };
    expect(revertChange(productKind, change, { description: 'Warm dimmable light.' })).toEqual({
      description: 'Warm light.',
    });
    expect(revertChange(productKind, change, { description: 'Very warm dimmable light.' })).toEqual(
      { description: 'Very warm light.' },
    );
    expect(revertChange(productKind, change, { description: 'Cold light.' })).toBeInstanceOf(
      RevertError,
    );
  });
});
