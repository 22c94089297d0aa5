import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Test files start real servers and child processes; run them one at a time on 2 cores.
    fileParallelism: false,
    // MEM1 forces garbage collection to measure the heap.
    execArgv: ['--expose-gc'],
  },
});
