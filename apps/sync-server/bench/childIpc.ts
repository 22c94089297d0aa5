/**
 * The IPC protocol of the benchmark's server children (harness.ts `startServerProcess`): once
 * listening a child sends `{port, ...info}`; it answers `{cmd:'cpu'}` with its CPU usage, RSS and
 * the number of documents it holds in memory, `{cmd:'gc'}` the same after a forced full garbage
 * collection (children run with --expose-gc), and exits on `{cmd:'stop'}`. Every answer also
 * counts the full (mark-compact) collections so far, forced ones included: the docs scenario waits
 * for one V8 starts on its own to read where memory settles. The CPU of the main thread is given
 * apart: the rest is worker threads (Concord's SQLite writer) and V8's own (compiler, GC helpers).
 */
import { readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { isFullCollection } from '../src/memoryTrim.js';

export function serveBenchIpc(options: {
  readonly port: number;
  readonly info?: Record<string, unknown>;
  readonly loadedDocs: () => number;
  readonly stop: () => Promise<void>;
}): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('benchmark child: needs IPC');
  let majorGcs = 0;
  new PerformanceObserver((list) => {
    majorGcs += list.getEntries().filter(isFullCollection).length;
  }).observe({ entryTypes: ['gc'] });
  const stats = () => ({
    majorGcs,
    cpu: process.cpuUsage(),
    mainCpuS: mainThreadCpuSeconds(),
    rss: process.memoryUsage().rss,
    heapUsed: process.memoryUsage().heapUsed,
    docs: options.loadedDocs(),
  });
  process.on('message', (msg: { cmd: string }) => {
    if (msg.cmd === 'cpu') send(stats());
    if (msg.cmd === 'gc') {
      const gc = (globalThis as { gc?: () => void }).gc;
      // Twice: the first pass may only queue finalizers whose memory the second frees.
      gc?.();
      gc?.();
      send({ ...stats(), gc: gc !== undefined });
    }
    if (msg.cmd === 'stop') {
      const timer = setTimeout(() => process.exit(2), 10_000);
      options.stop().then(
        () => {
          clearTimeout(timer);
          process.exit(0);
        },
        () => process.exit(1),
      );
    }
  });
  send({ port: options.port, ...options.info });
}

/** Linux's clock ticks per second for /proc times (USER_HZ, 100 on every Linux this runs on). */
const TICKS_PER_S = 100;

/**
 * CPU seconds of this process's main thread (user + system), from /proc: the main thread's task id
 * is the process id. Undefined where there is no /proc (its resolution is 10 ms).
 */
function mainThreadCpuSeconds(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start with the state, field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime: fields 14 and 15
    return Number.isFinite(ticks) ? ticks / TICKS_PER_S : undefined;
  } catch {
    return undefined;
  }
}
