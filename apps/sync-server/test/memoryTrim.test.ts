/**
 * SPEC MEM8: memory freed by unloaded documents is handed back to the OS — glibc's malloc_trim,
 * after full collections within a window of an unload, at most once per interval.
 */
import { describe, expect, it, vi } from 'vitest';
import { MemoryTrimmer, loadMallocTrim } from '../src/memoryTrim.js';

const gc = (globalThis as { gc?: () => void }).gc;

function rssMB(): number {
  return process.memoryUsage().rss / 1024 / 1024;
}

describe('malloc_trim through koffi', () => {
  it.skipIf(!gc || process.platform !== 'linux')(
    'MEM8: freed memory in the middle of malloc’s heap goes back to the OS when trimmed',
    async (ctx) => {
      const trim = await loadMallocTrim();
      // Linux without glibc (musl): nothing to call, and the server does without.
      if (!trim) return ctx.skip();
      // 64 KB buffers (malloc'd, under the mmap threshold) each followed by a small one that
      // stays: once the large ones are freed, their pages sit between live memory, where free()
      // alone never returns them.
      const large: (Buffer | undefined)[] = [];
      const small: Buffer[] = [];
      for (let i = 0; i < 3_000; i++) {
        large.push(Buffer.alloc(64 * 1024, 1));
        small.push(Buffer.alloc(64, 2));
      }
      large.fill(undefined);
      for (let i = 0; i < 3; i++) {
        gc!();
        // Array buffers are freed off the main thread after the collection.
        await new Promise((r) => setTimeout(r, 50));
      }
      const before = rssMB();
      trim();
      const after = rssMB();
      console.log(`[trim] RSS ${before.toFixed(1)} → ${after.toFixed(1)} MB`);
      // Measured: ~24 MB of it was still resident before the trim, and went with it.
      expect(before - after).toBeGreaterThan(12);
      expect(small.every((b) => b[0] === 2)).toBe(true);
    },
  );
});

describe('MemoryTrimmer', () => {
  it('MEM8: trims after full collections within the window of an unload, once per interval; never without unloads', () => {
    vi.useFakeTimers();
    let now = 0;
    let trims = 0;
    const trimmer = new MemoryTrimmer(
      () => {
        trims += 1;
        return true;
      },
      { delayMs: 1_000, minIntervalMs: 30_000, windowMs: 120_000, now: () => now },
    );
    const advance = (ms: number) => {
      now += ms;
      vi.advanceTimersByTime(ms);
    };
    try {
      // A collection with nothing unloaded: nothing to trim.
      trimmer.collected();
      advance(5_000);
      expect(trims).toBe(0);
      // Unloads, then a collection: one trim a second later.
      trimmer.unloaded();
      advance(10_000);
      expect(trims).toBe(0);
      trimmer.collected();
      advance(999);
      expect(trims).toBe(0);
      advance(1);
      expect(trims).toBe(1);
      // Another collection soon after (V8's memory reducer): a trim once the interval has passed.
      trimmer.collected();
      advance(29_999);
      expect(trims).toBe(1);
      advance(1);
      expect(trims).toBe(2);
      // Collections more than the window after the last unload trim nothing.
      advance(100_000);
      trimmer.collected();
      advance(60_000);
      expect(trims).toBe(2);
      // A new unload opens a new window.
      trimmer.unloaded();
      trimmer.collected();
      trimmer.collected();
      advance(1_000);
      expect(trims).toBe(3);
      expect(trimmer.trims).toBe(3);
    } finally {
      trimmer.close();
      vi.useRealTimers();
    }
  });

  it('MEM8: close cancels a trim that waits', () => {
    vi.useFakeTimers();
    let trims = 0;
    const trimmer = new MemoryTrimmer(() => {
      trims += 1;
      return true;
    });
    try {
      trimmer.unloaded();
      trimmer.collected();
      trimmer.close();
      vi.advanceTimersByTime(60_000);
      expect(trims).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
