/**
 * The offline shell across a deploy: a new build is installed in the background and waits; the
 * app says "A new version of Concord is available" and reloads into it when asked; until then,
 * also offline, the installed version keeps working.
 */
import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from './test';
import { signIn } from './helpers';
import { kill9, startServer } from './serverProcess';

const PORT = 4184;
const BASE = `http://127.0.0.1:${PORT}`;

let server: ChildProcess | undefined;
test.afterAll(async () => {
  if (server) await kill9(server);
});

/** A new deploy of the same app: a changed index.html, and the service worker that lists it. */
function deploy(dist: string): void {
  const index = join(dist, 'index.html');
  writeFileSync(index, readFileSync(index, 'utf8').replace('</body>', '<!-- build 2 --></body>'));
  const sw = join(dist, 'sw.js');
  writeFileSync(
    sw,
    readFileSync(sw, 'utf8').replace(
      /\{url:"index\.html",revision:"[^"]*"\}/,
      '{url:"index.html",revision:"build-2"}',
    ),
  );
}

test('after a deploy: the update prompt, the installed version offline, and the new one on Reload', async ({
  browser,
}) => {
  const dist = mkdtempSync(join(tmpdir(), 'concord-dist-'));
  cpSync(join(import.meta.dirname, '..', 'dist'), dist, { recursive: true });
  server = await startServer(PORT, {
    DATA_DIR: mkdtempSync(join(tmpdir(), 'concord-e2e-deploy-')),
    AUTH_SECRET: 'e2e-deploy-secret-of-some-length',
    DEMO_AUTH: 'on',
    WEB_DIST: dist,
  });
  const { context, page } = await signIn(browser, 'Wes', 'editor', BASE);
  await expect
    .poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null))
    .toBe(true);
  const prompt = page
    .getByRole('alert')
    .filter({ hasText: 'A new version of Concord is available' });
  await expect(prompt).toHaveCount(0);

  deploy(dist);
  await page.reload();
  await expect(prompt).toBeVisible({ timeout: 15_000 });
  // The page still runs the version it loaded.
  expect(await page.content()).not.toContain('build 2');

  await context.setOffline(true);
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Catalog' })).toBeVisible();
  await expect(prompt).toBeVisible({ timeout: 15_000 });

  await context.setOffline(false);
  await prompt.getByRole('button', { name: 'Reload' }).click();
  // The page reloads into the new version (reading it while it navigates may fail: try again).
  await expect.poll(() => page.content().catch(() => ''), { timeout: 15_000 }).toContain('build 2');
  await expect(page.getByRole('heading', { name: 'Catalog' })).toBeVisible();
  await expect(prompt).toHaveCount(0);
});
