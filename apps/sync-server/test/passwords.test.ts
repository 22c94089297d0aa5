import { describe, expect, it } from 'vitest';
import { scryptSync } from 'node:crypto';
import { hashPassword, passwordProblem, verifyPassword } from '../src/accounts/passwords.js';

describe('password hashing (ACC2)', () => {
  it('stores scrypt with its parameters and a fresh salt; only the right password verifies', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^scrypt\$15\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('is standard scrypt: an independent computation with the stored salt gives the stored key', async () => {
    const stored = await hashPassword('pässwörd-ünïcode');
    const [, logN, r, p, salt, key] = stored.split('$');
    const independent = scryptSync(
      'pässwörd-ünïcode'.normalize('NFC'),
      Buffer.from(salt!, 'base64url'),
      32,
      {
        N: 2 ** Number(logN),
        r: Number(r),
        p: Number(p),
        maxmem: 64 * 1024 * 1024,
      },
    );
    expect(independent.toString('base64url')).toBe(key);
  });

  it('refuses tampered or unreadable hashes, and absurd parameters, without throwing', async () => {
    const stored = await hashPassword('secret-secret');
    const parts = stored.split('$');
    // The first character of the key: all six of its bits are key bits (the last one's are not).
    const flipped = [
      ...parts.slice(0, 5),
      `${parts[5]!.startsWith('A') ? 'B' : 'A'}${parts[5]!.slice(1)}`,
    ].join('$');
    expect(await verifyPassword('secret-secret', flipped)).toBe(false);
    expect(await verifyPassword('secret-secret', 'plain-text')).toBe(false);
    expect(await verifyPassword('secret-secret', stored.replace('$15$', '$30$'))).toBe(false);
  });

  it('bounds length: at least 8 characters, at most 256', () => {
    expect(passwordProblem('short')).toMatch(/at least 8/);
    expect(passwordProblem('x'.repeat(257))).toMatch(/at most 256/);
    expect(passwordProblem('long enough')).toBeUndefined();
  });
});
