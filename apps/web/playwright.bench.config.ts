import { defineConfig } from '@playwright/test';
import base from './playwright.config';

/** `npm run bench:web`: the browser benchmark (bench/), with the e2e browser settings. */
export default defineConfig({
  ...base,
  testDir: './bench',
  testMatch: '*.bench.ts',
  reporter: [['list']],
  outputDir: 'test-results/bench-artifacts',
  webServer: undefined,
});
