import { describe, expect, it } from 'vitest';
import { canWrite, isAccountId, parseDocName } from '../src/index.js';

const doc = (name: string) => {
  const parsed = parseDocName(name);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.name;
};

describe('permissions', () => {
  it('AUTH1: editors write products and their own profile, viewers nothing, admins everything', () => {
    const ed = { id: 'u-ed', role: 'editor' as const };
    expect(canWrite(ed, doc('product:p1'))).toBe(true);
    expect(canWrite(ed, doc('profile:u-ed'))).toBe(true);
    expect(canWrite(ed, doc('profile:u-other'))).toBe(false);
    expect(canWrite({ id: 'u-vi', role: 'viewer' }, doc('profile:u-vi'))).toBe(false);
    expect(canWrite({ id: 'u-ad', role: 'admin' }, doc('profile:u-other'))).toBe(true);
  });

  it('account ids are u-… and o-…; demo and service ids are not', () => {
    expect(isAccountId('u-Y46nog2Sduol')).toBe(true);
    expect(isAccountId('o-dvLTUBInQ5TA8Or6Y2iu')).toBe(true);
    expect(isAccountId('demo-gina')).toBe(false);
    expect(isAccountId('alice')).toBe(false);
    expect(isAccountId('u-')).toBe(false);
  });
});
