import { describe, expect, it } from 'vitest';
import {
  HlcRangeError,
  HlcSkewError,
  HybridClock,
  MAX_HLC_COUNTER,
  MAX_HLC_WALL_MS,
  compareHlc,
  formatHlc,
  isHlc,
  type Hlc,
} from '../src/index.js';

const at = (wallMs: number, counter = 0, replicaId = 'a'): Hlc => ({ wallMs, counter, replicaId });

describe('hybrid logical clock', () => {
  it('HLC1: order is wall time, then counter, then replica id', () => {
    expect(compareHlc(at(1), at(2))).toBeLessThan(0);
    expect(compareHlc(at(2, 0), at(1, 9))).toBeGreaterThan(0);
    expect(compareHlc(at(5, 1), at(5, 2))).toBeLessThan(0);
    expect(compareHlc(at(5, 1, 'b'), at(5, 1, 'a'))).toBeGreaterThan(0);
    expect(compareHlc(at(5, 1, 'a'), at(5, 1, 'a'))).toBe(0);
    const sorted = [at(3, 0, 'b'), at(3, 0, 'a'), at(1, 5), at(3, 1)]
      .sort(compareHlc)
      .map(formatHlc);
    expect(sorted).toEqual([at(1, 5), at(3, 0, 'a'), at(3, 0, 'b'), at(3, 1)].map(formatHlc));
  });

  it('HLC2: now() is strictly increasing even when the wall clock stands still or goes back', () => {
    let wall = 1000;
    const clock = new HybridClock({ replicaId: 'a', physicalNow: () => wall });
    const stamps = [clock.now(), clock.now()];
    wall = 500; // clock stepped backwards
    stamps.push(clock.now());
    wall = 2000;
    stamps.push(clock.now());
    for (let i = 1; i < stamps.length; i++)
      expect(compareHlc(stamps[i - 1]!, stamps[i]!)).toBeLessThan(0);
    expect(stamps[2]).toEqual(at(1000, 2));
    expect(stamps[3]).toEqual(at(2000, 0));
  });

  it('HLC4: after receive(remote), every local stamp exceeds the remote one, whatever the local wall clock says', () => {
    const slow = new HybridClock({ replicaId: 'slow', physicalNow: () => 1_000 });
    const remote = at(61_000, 7, 'fast');
    slow.receive(remote);
    const next = slow.now();
    expect(compareHlc(next, remote)).toBeGreaterThan(0);
    expect(next.wallMs).toBe(61_000);
    // and receiving an older stamp never moves the clock back
    slow.receive(at(10, 0, 'old'));
    expect(compareHlc(slow.now(), next)).toBeGreaterThan(0);
  });

  it('HLC3: a remote stamp beyond the skew bound is refused with a named error and leaves the clock unchanged', () => {
    const clock = new HybridClock({
      replicaId: 'a',
      physicalNow: () => 1_000_000,
      maxSkewMs: 60_000,
    });
    const before = clock.now();
    const ahead = at(1_000_000 + 60_001, 0, 'liar');
    expect(() => clock.receive(ahead)).toThrow(HlcSkewError);
    const err = clock.tryReceive(ahead);
    expect(err).toBeInstanceOf(HlcSkewError);
    expect(err?.code).toBe('clock_skew');
    expect(err?.message).toMatch(/60001 ms ahead.*60000 ms accepted/);
    expect(clock.peek()).toEqual(before);
    expect(clock.tryReceive(at(1_000_000 + 60_000, 0, 'ok'))).toBeUndefined();
  });
});

describe('bounded stamps', () => {
  it('HLC5: stamps beyond the counter, wall-time or replica-id bound are malformed, refused by receive, and never issued', () => {
    expect(isHlc(at(1, MAX_HLC_COUNTER))).toBe(true);
    expect(isHlc(at(1, MAX_HLC_COUNTER + 1))).toBe(false);
    expect(isHlc(at(1, 2 ** 53 - 1))).toBe(false);
    expect(isHlc(at(MAX_HLC_WALL_MS + 1))).toBe(false);
    expect(isHlc(at(1, 0, ''))).toBe(false);
    expect(isHlc(at(1, 0, 'r'.repeat(65)))).toBe(false);

    const wall = 1_000_000;
    const clock = new HybridClock({ replicaId: 'a', physicalNow: () => wall });
    const before = clock.now();
    expect(clock.tryReceive(at(wall, 2 ** 53 - 1, 'liar'))).toBeInstanceOf(HlcRangeError);
    expect(clock.peek()).toEqual(before);

    // A stamp at the very edge of the counter: the next local stamp carries into the wall time.
    expect(clock.tryReceive(at(wall, MAX_HLC_COUNTER, 'edge'))).toBeUndefined();
    const next = clock.now();
    expect(isHlc(next)).toBe(true);
    expect(compareHlc(next, at(wall, MAX_HLC_COUNTER, 'edge'))).toBeGreaterThan(0);
    expect(next).toEqual(at(wall + 1, 1)); // the receive carried into the wall time
    for (let i = 0; i < 5; i++) expect(isHlc(clock.now())).toBe(true);
  });
});
