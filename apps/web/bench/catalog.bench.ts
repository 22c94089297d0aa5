/**
 * `npm run bench:web`: the catalog in Debian's Chromium against a server of its own (real
 * accounts, embedded SQLite). For each N (BENCH_WEB_SIZES, default 2000,10000) it seeds N products
 * through the HTTP API, then measures, as a person would see them:
 *  - first sync: from pressing "Sign in" until the table counts all N products;
 *  - reload → interactive: from a reload until the table shows its rows (from IndexedDB);
 *  - keystroke → filtered table: from an input event in the search box until the new count is
 *    painted (the next animation frame after it changed), median and p95 of several queries;
 *  - memory: the page's JS heap after the first sync and after the reload.
 * Results are printed, appended as JSON lines to bench/results.jsonl, and bench/README.md's table
 * is regenerated from them. Targets (issue: catalog of 10,000): first sync < 10 s, reload →
 * interactive < 1 s, keystroke < 50 ms.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { kill9, startServer } from '../e2e/serverProcess';
import { appendResult, missedTargets, type WebBenchResult } from './results';

const PORT = Number(process.env.BENCH_WEB_PORT ?? 4196);
const BASE = `http://127.0.0.1:${PORT}`;
const SIZES = (process.env.BENCH_WEB_SIZES ?? '2000,10000').split(',').map(Number);
const ADMIN = { email: 'bench@example.com', name: 'Bench Admin', password: 'bench-password-1' };
const SEED_CONCURRENCY = 8;

test.describe.configure({ mode: 'serial' });

async function api(token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${BASE}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res;
}

const WORDS = ['Oak', 'Brass', 'Linen', 'Steel', 'Walnut', 'Glass', 'Cotton', 'Copper'];
const THINGS = ['lamp', 'chair', 'table', 'shelf', 'rug', 'vase', 'clock', 'stool', 'desk'];

async function seed(token: string, from: number, to: number): Promise<void> {
  let next = from;
  async function worker() {
    while (next < to) {
      const i = next++;
      await api(token, 'PATCH', `/api/docs/product:bench-${i}`, {
        name: `${WORDS[i % WORDS.length]} ${THINGS[(i >> 3) % THINGS.length]} ${i}`,
        sku: `SKU-${String(i).padStart(6, '0')}`,
        status: i % 5 === 0 ? 'draft' : 'active',
        currency: 'EUR',
        priceCents: 500 + ((i * 7919) % 100_000),
        description: `Product number ${i}. `.repeat(8),
      });
    }
  }
  await Promise.all(Array.from({ length: SEED_CONCURRENCY }, worker));
}

/** The count the table shows ("M of N products"), as [M, N]. */
async function counts(page: Page): Promise<[number, number] | undefined> {
  const text = await page
    .getByText(/^[\d,]+ of [\d,]+ products$/)
    .textContent({ timeout: 100 })
    .catch(() => null);
  const m = text && /^([\d,]+) of ([\d,]+) products$/.exec(text);
  return m ? [Number(m[1]!.replace(/,/g, '')), Number(m[2]!.replace(/,/g, ''))] : undefined;
}

async function heapMb(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  await cdp.detach();
  const used = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0;
  return Math.round((used / 1024 / 1024) * 10) / 10;
}

/** Time from an input event in the search box until the changed count is painted. */
async function keystrokeMs(page: Page, query: string): Promise<number> {
  return page.evaluate(async (q) => {
    const input = document.querySelector<HTMLInputElement>('input[aria-label="Search products"]')!;
    // What the table shows: its count and first product (two queries may match as many).
    const count = () =>
      `${[...document.querySelectorAll('p')].find((p) => / of [\d,]+ products$/.test(p.textContent ?? ''))?.textContent}|${document.querySelector('a[href^="#/product/"]')?.textContent}`;
    const before = count();
    const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
    const t0 = performance.now();
    setter.call(input, q);
    input.dispatchEvent(new Event('input', { bubbles: true }));
    for (;;) {
      await new Promise((r) => requestAnimationFrame(() => r(undefined)));
      if (count() !== before) break;
      if (performance.now() - t0 > 10_000) throw new Error(`no new count for "${q}"`);
    }
    return performance.now() - t0;
  }, query);
}

/**
 * Typing while a first sync runs: every 50 ms a keystroke goes into the search box, and the time
 * until the page paints the next frame is recorded — how long the page made the person wait.
 * Runs until the table counts `size` products and no download is under way.
 */
async function typingDuringSync(page: Page, size: number): Promise<number[]> {
  return page.evaluate(async (n) => {
    const samples: number[] = [];
    const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
    const total = () => {
      const text = [...document.querySelectorAll('p')].find((p) =>
        / of [\d,]+ products$/.test(p.textContent ?? ''),
      )?.textContent;
      return Number(/of ([\d,]+)/.exec(text ?? '')?.[1]?.replace(/,/g, '') ?? 0);
    };
    const started = performance.now();
    for (let i = 0; total() < n || document.querySelector('progress'); i++) {
      if (performance.now() - started > 30 * 60_000) throw new Error('first sync did not finish');
      const input = document.querySelector<HTMLInputElement>('input[aria-label="Search products"]');
      if (input) {
        const t0 = performance.now();
        setter.call(input, i % 2 ? 'oak' : '');
        input.dispatchEvent(new Event('input', { bubbles: true }));
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        samples.push(performance.now() - t0);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const input = document.querySelector<HTMLInputElement>('input[aria-label="Search products"]')!;
    setter.call(input, '');
    input.dispatchEvent(new Event('input', { bubbles: true }));
    return samples;
  }, size);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

test('catalog: first sync, reload, search and memory at each size', async ({ browser }) => {
  test.setTimeout(60 * 60_000);
  const server = await startServer(PORT, {
    DATA_DIR: mkdtempSync(join(tmpdir(), 'concord-bench-web-')),
    SETUP_CODE: 'bench-setup-code',
    AUTH_SECRET: 'bench-secret-of-sufficient-length',
    NODE_ENV: 'production',
    // Seeding is arrangement, not what is measured: no per-person request limit for it.
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '1000000',
  });
  try {
    const setup = await fetch(`${BASE}/api/auth/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'bench-setup-code', ...ADMIN }),
    });
    expect(setup.status).toBe(201);
    const tokenRes = await fetch(`${BASE}/api/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: ADMIN.email, password: ADMIN.password }),
    });
    const { token } = (await tokenRes.json()) as { token: string };
    let seeded = 0;
    for (const size of SIZES) {
      const seedStart = Date.now();
      await seed(token, seeded, size);
      seeded = size;
      const seedMs = Date.now() - seedStart;

      const context = await browser.newContext({ baseURL: BASE });
      const page = await context.newPage();
      await page.goto('/');
      await page.getByLabel('Email').fill(ADMIN.email);
      await page.getByLabel('Password').fill(ADMIN.password);
      // BENCH_WEB_PROFILE=dir: CPU profiles of the page during the first sync and the reload.
      const profiler = process.env.BENCH_WEB_PROFILE
        ? await page.context().newCDPSession(page)
        : undefined;
      if (profiler) {
        await profiler.send('Profiler.enable');
        await profiler.send('Profiler.start');
      }
      const t0 = Date.now();
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect
        .poll(async () => (await counts(page))?.[1] ?? 0, { timeout: 30 * 60_000, intervals: [50] })
        .toBeGreaterThanOrEqual(size);
      const firstSyncMs = Date.now() - t0;
      if (profiler) {
        const { profile } = await profiler.send('Profiler.stop');
        const file = join(process.env.BENCH_WEB_PROFILE!, `first-sync-${size}.cpuprofile`);
        writeFileSync(file, JSON.stringify(profile));
        console.log(`CPU profile: ${file}`);
      }
      console.log(`${size} products: first sync ${firstSyncMs} ms`);
      const heapAfterSync = await heapMb(page);

      if (profiler) await profiler.send('Profiler.start');
      const t1 = Date.now();
      await page.reload();
      await expect
        .poll(async () => (await counts(page))?.[1] ?? 0, { timeout: 60_000, intervals: [20] })
        .toBeGreaterThanOrEqual(size);
      await expect(page.locator('a[href^="#/product/"]').first()).toBeVisible();
      const reloadMs = Date.now() - t1;
      if (profiler) {
        const { profile } = await profiler.send('Profiler.stop');
        const file = join(process.env.BENCH_WEB_PROFILE!, `reload-${size}.cpuprofile`);
        writeFileSync(file, JSON.stringify(profile));
      }
      const heapAfterReload = await heapMb(page);

      // Each query's count differs from the one before, so every keystroke changes the table.
      const queries = ['oak', 'brass', 'sku-0001', 'walnut lamp', 'glass', 'x', 'lamp', 'copper'];
      const keys: number[] = [];
      for (const q of [...queries, ...queries]) keys.push(await keystrokeMs(page, q));
      await context.close();

      // Typing while a fresh browser downloads the catalog.
      const typist = await browser.newContext({ baseURL: BASE });
      const typing = await typist.newPage();
      await typing.goto('/');
      await typing.getByLabel('Email').fill(ADMIN.email);
      await typing.getByLabel('Password').fill(ADMIN.password);
      await typing.getByRole('button', { name: 'Sign in' }).click();
      await typing.getByLabel('Search products').waitFor();
      const typed = await typingDuringSync(typing, size);
      await typist.close();

      const result: WebBenchResult = {
        at: new Date().toISOString(),
        products: size,
        seedMs,
        firstSyncMs,
        reloadToInteractiveMs: reloadMs,
        keystrokeMedianMs: Math.round(percentile(keys, 0.5) * 10) / 10,
        keystrokeP95Ms: Math.round(percentile(keys, 0.95) * 10) / 10,
        heapAfterSyncMb: heapAfterSync,
        heapAfterReloadMb: heapAfterReload,
        typingDuringSyncP95Ms: Math.round(percentile(typed, 0.95) * 10) / 10,
        typingDuringSyncMaxMs: Math.round(Math.max(...typed) * 10) / 10,
      };
      console.log(JSON.stringify(result));
      const missed = missedTargets(result);
      console.log(
        `${size} products: targets ${missed.length === 0 ? 'met' : `MISSED (${missed.join(', ')})`}`,
      );
      appendResult(result);
    }
  } finally {
    await kill9(server);
  }
});
