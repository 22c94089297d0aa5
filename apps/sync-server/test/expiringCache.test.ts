/**
 * The account directory's cache (SPEC ACC6): answers are reused for `ttlMs` and then dropped, so
 * what it holds is the answers of the last `ttlMs`, never everyone ever seen; at most `max`.
 */
import { describe, expect, it, vi } from 'vitest';
import { ExpiringCache } from '../src/accounts/expiringCache.js';

describe('ExpiringCache', () => {
  it('ACC6: an answer is reused until it is ttl old, then dropped; a later one outlives it', () => {
    let now = 0;
    const cache = new ExpiringCache<string>(5_000, 100, () => now);
    cache.set('a', 'A');
    now = 3_000;
    cache.set('b', 'B');
    expect(cache.get('a')).toEqual({ value: 'A' });
    now = 4_999;
    expect(cache.get('a')).toEqual({ value: 'A' });
    now = 5_000;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toEqual({ value: 'B' });
    expect(cache.size).toBe(1);
    now = 8_000;
    expect(cache.get('b')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('ACC6: storing a key again restarts its time, and the entries that expired go whatever order they were read in', () => {
    let now = 0;
    const cache = new ExpiringCache<number>(1_000, 100, () => now);
    cache.set('x', 1);
    now = 500;
    cache.set('y', 2);
    now = 900;
    cache.set('x', 3);
    now = 1_200;
    // y (stored at 500) has 300 ms left; x was stored again at 900.
    expect(cache.get('y')).toEqual({ value: 2 });
    expect(cache.get('x')).toEqual({ value: 3 });
    now = 1_500;
    expect(cache.get('x')).toEqual({ value: 3 });
    expect(cache.size).toBe(1);
  });

  it('ACC6: thousands of one-off keys leave nothing behind once their time has passed', () => {
    let now = 0;
    const cache = new ExpiringCache<object>(5_000, 10_000, () => now);
    for (let i = 0; i < 5_000; i++) {
      now += 1;
      cache.set(`user-${i}`, { i });
    }
    expect(cache.size).toBe(5_000);
    now += 4_000;
    // Any use drops what has expired: the first ~4,000 keys.
    expect(cache.get('someone-else')).toBeUndefined();
    expect(cache.size).toBe(1_000);
    now += 1_000;
    cache.set('late', {});
    expect(cache.size).toBe(1);
  });

  it('ACC6: an answer older than ttl is not reused even when the clock stepped back behind it', () => {
    let now = 10_000;
    const cache = new ExpiringCache<string>(5_000, 100, () => now);
    cache.set('a', 'A');
    now = 0; // the clock is stepped back: 'b' is stored behind 'a' with an earlier time
    cache.set('b', 'B');
    now = 5_001;
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toEqual({ value: 'A' });
  });

  it('ACC6: beyond max, the oldest entry makes room', () => {
    const cache = new ExpiringCache<number>(60_000, 3, () => 0);
    for (const [i, key] of ['a', 'b', 'c', 'd'].entries()) cache.set(key, i);
    expect(cache.size).toBe(3);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('d')).toEqual({ value: 3 });
  });
});

describe('ExpiringCache on an idle server', () => {
  it('ACC6: with nobody using it, what expired is dropped all the same', async () => {
    vi.useFakeTimers();
    try {
      const cache = new ExpiringCache<number>(1_000, 100, () => Date.now());
      cache.set('a', 1);
      await vi.advanceTimersByTimeAsync(500);
      cache.set('b', 2);
      await vi.advanceTimersByTimeAsync(550);
      // a expired at 1,000 and went with the timer then; b expires at 1,500.
      expect(cache.size).toBe(1);
      await vi.advanceTimersByTimeAsync(440);
      expect(cache.size).toBe(1);
      await vi.advanceTimersByTimeAsync(20);
      expect(cache.size).toBe(0);
      expect(vi.getTimerCount()).toBe(0);
      cache.set('c', 3);
      cache.close();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
