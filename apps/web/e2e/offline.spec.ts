import { expect, test } from './test';
import { createProduct, goOffline, openProduct, signIn, status } from './helpers';

test('edit offline, reload offline: shell and unsaved edits are there; reconnect saves them', async ({
  browser,
}) => {
  const alice = await signIn(browser, 'Olga');
  const id = await createProduct(alice.page, 'Travel mug');
  await expect(status(alice.page)).toHaveText('All changes saved');
  // The service worker has taken control, so the shell can load offline.
  await expect
    .poll(() => alice.page.evaluate(() => navigator.serviceWorker.controller !== null))
    .toBe(true);

  await goOffline(alice);
  await expect(status(alice.page)).toHaveText('Offline');
  await alice.page.getByLabel('Name').fill('Travel mug XL');
  await alice.page.getByLabel('Description').fill('Keeps coffee hot.');
  await expect(status(alice.page)).toHaveText(/^\d+ unsaved changes?$/);

  await alice.page.reload();
  await expect(alice.page.getByLabel('Name')).toHaveValue('Travel mug XL');
  await expect(alice.page.getByLabel('Description')).toHaveValue('Keeps coffee hot.');
  await expect(status(alice.page)).toHaveText(/^\d+ unsaved changes?$/);

  await alice.context.setOffline(false);
  await expect(status(alice.page)).toHaveText('All changes saved');

  // Another person sees the edits made offline.
  const bob = await signIn(browser, 'Ben');
  await openProduct(bob.page, id);
  await expect(bob.page.getByLabel('Name')).toHaveValue('Travel mug XL');
  await expect(bob.page.getByLabel('Description')).toHaveValue('Keeps coffee hot.');
});

test('two tabs of one browser share edits live while offline', async ({ browser }) => {
  const alice = await signIn(browser, 'Tina');
  const id = await createProduct(alice.page, 'Tab test');
  await expect(status(alice.page)).toHaveText('All changes saved');
  const tab2 = await alice.context.newPage();
  await openProduct(tab2, id);
  await goOffline(alice);
  await expect(status(tab2)).toHaveText(/Offline|unsaved/);

  await alice.page.getByLabel('Name').fill('Tab test offline');
  await expect(tab2.getByLabel('Name')).toHaveValue('Tab test offline');
  await tab2.getByLabel('Description').fill('Typed in tab two.');
  await expect(alice.page.getByLabel('Description')).toHaveValue('Typed in tab two.');
  await tab2.getByRole('button', { name: 'Received' }).isVisible();
  await tab2.getByLabel('Units received or sold').fill('4');
  await tab2.getByRole('button', { name: 'Received' }).click();
  await expect(alice.page.getByLabel('Stock')).toHaveValue('4');

  // A reload offline shows the merged state once, not duplicated.
  await alice.page.reload();
  await expect(alice.page.getByLabel('Stock')).toHaveValue('4');
  await expect(alice.page.getByLabel('Description')).toHaveValue('Typed in tab two.');

  await alice.context.setOffline(false);
  await expect(status(alice.page)).toHaveText('All changes saved');
  await expect(status(tab2)).toHaveText('All changes saved');
});
