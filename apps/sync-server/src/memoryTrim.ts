/**
 * Memory freed by unloaded documents goes back to the operating system (SPEC MEM8).
 *
 * V8 returns its own heap pages after a while (its memory reducer). What documents and their
 * connections allocated through malloc — buffers, socket and SQLite memory — is freed when V8
 * collects them, but glibc's malloc keeps freed memory inside its heaps and returns it only from
 * their top: after 5,000 documents unloaded, ~9 MB stayed resident that way. glibc returns the
 * rest when asked (`malloc_trim`), which Node cannot do by itself; `koffi` (an FFI library with
 * prebuilt binaries) makes the one call.
 *
 * When: after a full collection within `windowMs` of an unload (the collections after unloads
 * free their buffers, the first and those of V8's memory reducer 10-60 s later alike), a second
 * later (V8 frees array buffers off the main thread), at most once per `minIntervalMs`. A trim
 * takes a few milliseconds; a server that unloads nothing never trims. Where there is no glibc
 * (musl, macOS, Windows: their allocators return memory themselves) nothing happens.
 */
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';

/** Is this `gc` performance entry a full (mark-compact) collection? */
export function isFullCollection(entry: PerformanceEntry): boolean {
  const detail = (entry as { detail?: { kind?: number } }).detail;
  return detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR;
}

/** Return free malloc memory to the OS; true if any was returned. */
export type Trim = () => boolean;

/** glibc's `malloc_trim(0)`, or undefined where there is none. */
export async function loadMallocTrim(): Promise<Trim | undefined> {
  if (process.platform !== 'linux') return undefined;
  try {
    const { default: koffi } = await import('koffi');
    const mallocTrim = koffi.load('libc.so.6').func('int malloc_trim(size_t pad)');
    return () => mallocTrim(0) === 1;
  } catch {
    return undefined;
  }
}

export interface TrimOptions {
  /** Wait after the collection, for buffers freed off the main thread (default 1 s). */
  readonly delayMs?: number;
  /** At most one trim per this long (default 10 s). */
  readonly minIntervalMs?: number;
  /** Collections this long after the last unload still trim (default 2 min). */
  readonly windowMs?: number;
  readonly now?: () => number;
}

export class MemoryTrimmer {
  private lastUnload = -Infinity;
  private lastTrim = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private readonly observer: PerformanceObserver;
  private readonly delayMs: number;
  private readonly minIntervalMs: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  /** Trims done so far (tests). */
  trims = 0;

  constructor(
    private readonly trim: Trim,
    options: TrimOptions = {},
  ) {
    this.delayMs = options.delayMs ?? 1_000;
    this.minIntervalMs = options.minIntervalMs ?? 10_000;
    this.windowMs = options.windowMs ?? 120_000;
    this.now = options.now ?? (() => performance.now());
    this.observer = new PerformanceObserver((list) => {
      if (list.getEntries().some(isFullCollection)) this.collected();
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** A document left memory: the next full collection frees what it held. */
  unloaded(): void {
    this.lastUnload = this.now();
  }

  /** A full collection ran (the observer calls this; tests may too). */
  collected(): void {
    if (this.timer || this.now() - this.lastUnload > this.windowMs) return;
    const wait = Math.max(this.delayMs, this.lastTrim + this.minIntervalMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastTrim = this.now();
      this.trims += 1;
      this.trim();
    }, wait);
    this.timer.unref();
  }

  close(): void {
    this.observer.disconnect();
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
