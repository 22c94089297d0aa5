import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from './test';
import { createProduct, openProduct, signIn, status } from './helpers';
import { kill9, startServer } from './serverProcess';

const PORT = 4181;
const BASE = `http://127.0.0.1:${PORT}`;
const dataDir = mkdtempSync(join(tmpdir(), 'concord-e2e-restart-'));

const startOwnServer = () =>
  startServer(PORT, {
    DATA_DIR: dataDir,
    AUTH_SECRET: 'e2e-restart-secret-of-some-length',
    DEMO_AUTH: 'on',
  });

let server: ChildProcess | undefined;
test.afterAll(async () => {
  if (server && server.exitCode === null) await kill9(server);
});

test('server killed (-9) and restarted while people edit: they reconnect and nothing is lost', async ({
  browser,
}) => {
  server = await startOwnServer();
  const alice = await signIn(browser, 'Kim', 'editor', BASE);
  const bob = await signIn(browser, 'Lou', 'editor', BASE);
  const id = await createProduct(alice.page, 'Crash test');
  await alice.page.getByLabel('Description').fill('Saved before the crash.');
  await expect(status(alice.page)).toHaveText('All changes saved');
  await openProduct(bob.page, id);
  await expect(bob.page.getByLabel('Description')).toHaveValue('Saved before the crash.');

  await kill9(server);
  await expect(status(alice.page)).not.toHaveText('All changes saved');
  await alice.page.getByLabel('Price').fill('9.99');
  await alice.page.getByLabel('Units received or sold').fill('6');
  await alice.page.getByRole('button', { name: 'Received' }).click();
  await bob.page.getByLabel('Description').press('End');
  await bob.page.getByLabel('Description').pressSequentially(' Written while down.');
  await bob.page.getByLabel('Units received or sold').fill('2');
  await bob.page.getByRole('button', { name: 'Sold' }).click();
  await expect(status(alice.page)).toHaveText(/unsaved/);
  await expect(status(bob.page)).toHaveText(/unsaved/);

  server = await startOwnServer();
  for (const { page } of [alice, bob]) {
    await expect(status(page)).toHaveText('All changes saved', { timeout: 20_000 });
    await expect(page.getByLabel('Price')).toHaveValue('9.99');
    await expect(page.getByLabel('Stock')).toHaveValue('4');
    await expect(page.getByLabel('Description')).toHaveValue(
      'Saved before the crash. Written while down.',
    );
  }

  // Once more with a clean restart: everything is still there for a newcomer.
  await kill9(server);
  server = await startOwnServer();
  const carol = await signIn(browser, 'Mia', 'editor', BASE);
  await openProduct(carol.page, id);
  await expect(carol.page.getByLabel('Stock')).toHaveValue('4');
  await expect(carol.page.getByLabel('Description')).toHaveValue(
    'Saved before the crash. Written while down.',
  );
});
