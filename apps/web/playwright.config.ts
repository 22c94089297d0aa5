import { existsSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, defineConfig, devices } from '@playwright/test';

/** Debian's Chromium, else Playwright's own browser, else a clear error. */
function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  try {
    const own = chromium.executablePath();
    if (own && existsSync(own)) return own;
  } catch {
    // not installed
  }
  throw new Error(
    'No Chromium found: install Debian Chromium (apt-get install -y chromium) or set CHROMIUM_PATH.',
  );
}

export const PORT = Number(process.env.E2E_PORT ?? 4180);
export const AUTH_SECRET = 'e2e-secret-of-sufficient-length';

export default defineConfig({
  testDir: './e2e',
  workers: 1,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list'], ['json', { outputFile: 'test-results/playwright.json' }]],
  // Artifacts in a subfolder: Playwright empties its outputDir, and test-results/ also holds vitest.json.
  outputDir: 'test-results/playwright-artifacts',
  use: {
    ...devices['Desktop Chrome'],
    baseURL: `http://127.0.0.1:${PORT}`,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: chromiumPath(),
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic'],
    },
  },
  webServer: {
    command: 'node ../sync-server/dist/src/main.js',
    url: `http://127.0.0.1:${PORT}/healthz`,
    reuseExistingServer: false,
    env: {
      PORT: String(PORT),
      HOST: '127.0.0.1',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'concord-e2e-')),
      AUTH_SECRET,
      DEMO_AUTH: 'on',
      LOG_LEVEL: 'warn',
    },
  },
});
