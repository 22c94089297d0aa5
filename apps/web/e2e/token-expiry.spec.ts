import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from './test';
import { createProduct, openProduct, signIn, status } from './helpers';
import { startServer } from './serverProcess';

const PORT = 4182;
const BASE = `http://127.0.0.1:${PORT}`;
const TTL_SECONDS = 6;

let server: ChildProcess | undefined;
test.afterAll(() => {
  server?.kill('SIGKILL');
});

test('AUTH7: tokens expire while a person edits: the app renews them and reconnects; nothing is lost or doubled', async ({
  browser,
}) => {
  test.setTimeout(60_000);
  // A server whose tokens live a few seconds, so this test sees them expire.
  server = await startServer(PORT, {
    DATA_DIR: mkdtempSync(join(tmpdir(), 'concord-e2e-expiry-')),
    AUTH_SECRET: 'e2e-expiry-secret-of-some-length',
    TOKEN_TTL_SECONDS: String(TTL_SECONDS),
    DEMO_AUTH: 'on',
  });
  const kim = await signIn(browser, 'Kim', 'editor', BASE);
  const token = () =>
    kim.page.evaluate(() => JSON.parse(localStorage.getItem('concord.auth')!).token as string);
  const first = await token();
  const expiresAt =
    JSON.parse(Buffer.from(first.split('.')[1]!, 'base64url').toString()).exp * 1000;
  const id = await createProduct(kim.page, 'Expiry test');
  await kim.page.getByLabel('Description').fill('Typed before expiry.');
  await expect(status(kim.page)).toHaveText('All changes saved');

  // The first token's lifetime passes; the app renewed it before, and the server closed the
  // socket opened with it (4501).
  await expect.poll(token, { timeout: 20_000 }).not.toBe(first);
  await expect.poll(() => Date.now() > expiresAt + 1_000, { timeout: 20_000 }).toBe(true);

  await kim.page.getByLabel('Description').fill('Typed before expiry. And after.');
  await expect(status(kim.page)).toHaveText('All changes saved', { timeout: 15_000 });

  const lou = await signIn(browser, 'Lou', 'viewer', BASE);
  await openProduct(lou.page, id);
  await expect(lou.page.getByLabel('Description')).toHaveValue('Typed before expiry. And after.');
  await expect(lou.page.getByLabel('Name')).toHaveValue('Expiry test');
});
