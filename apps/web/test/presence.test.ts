import { describe, expect, it } from 'vitest';
import { colorFor, presenceOf } from '../src/sync/presence';

describe('presence states from other devices', () => {
  it('AW3: only well-formed states render; colours are #rrggbb or derived; names and fields are bounded', () => {
    expect(
      presenceOf({ user: { id: 'ann', name: 'Ann', color: '#15803d' }, field: 'name' }),
    ).toEqual({
      user: { id: 'ann', name: 'Ann', color: '#15803d' },
      field: 'name',
    });
    for (const junk of [
      null,
      'x',
      42,
      [],
      {},
      { user: null },
      { user: { name: 'no id' } },
      { user: { id: 7 } },
    ]) {
      expect(presenceOf(junk)).toBeUndefined();
    }
    const hostile = presenceOf({
      user: { id: 'vic', name: 'x'.repeat(500), color: 'red;background:url(//evil)' },
      field: { toString: 'boom' },
    });
    expect(hostile).toEqual({
      user: { id: 'vic', name: 'x'.repeat(60), color: colorFor('vic') },
      field: null,
    });
    expect(presenceOf({ user: { id: 'ann', name: '   ' } })?.user.name).toBe('ann');
  });
});
