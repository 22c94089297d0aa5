import { describe, expect, it } from 'vitest';
import { fromPairs, mergeVectors, raiseVector, stillPending, toPairs } from '../src/index.js';

describe('saved edits', () => {
  it('ACK1: an edit is saved once the acknowledged clock of its client reaches it', () => {
    const pending = [
      [7, 3],
      [7, 5],
      [9, 1],
    ] as const;
    const ack = new Map([[7, 4]]);
    expect(stillPending(pending, ack)).toEqual([
      [7, 5],
      [9, 1],
    ]);
    expect(
      stillPending(
        pending,
        mergeVectors(
          ack,
          new Map([
            [7, 5],
            [9, 1],
          ]),
        ),
      ),
    ).toEqual([]);
  });

  it('ACK3: acknowledgements never go backwards, and survive a round trip through storage', () => {
    const merged = mergeVectors(
      new Map([[1, 5]]),
      new Map([
        [1, 2],
        [2, 1],
      ]),
    );
    expect(merged).toEqual(
      new Map([
        [1, 5],
        [2, 1],
      ]),
    );
    expect(fromPairs(toPairs(merged))).toEqual(merged);
    const into = new Map([[1, 5]]);
    expect(raiseVector(into, [[1, 3]])).toBe(false);
    expect(raiseVector(into, [[1, 6]])).toBe(true);
    expect(into.get(1)).toBe(6);
  });
});
