import { expect, test } from '@playwright/test';
import { createProduct, openProduct, signIn, status } from './helpers';

test('history: view an old version and restore it; the other person sees the restore', async ({
  browser,
}) => {
  const alice = await signIn(browser, 'Iris');
  const bob = await signIn(browser, 'Jon');
  const id = await createProduct(alice.page, 'Vase');
  await alice.page.getByLabel('Price').fill('10.00');
  await expect(status(alice.page)).toHaveText('All changes saved');
  await alice.page.getByLabel('Price').fill('25.00');
  await expect(status(alice.page)).toHaveText('All changes saved');
  await openProduct(bob.page, id);
  await expect(bob.page.getByLabel('Price')).toHaveValue('25.00');

  await alice.page.getByRole('button', { name: 'History' }).click();
  const entry = alice.page.getByRole('listitem').filter({ hasText: 'Price: 0.00 → 10.00' });
  await expect(entry).toBeVisible();
  await entry.getByRole('button', { name: /View version/ }).click();
  const version = alice.page.getByRole('region', { name: /Version \d+/ });
  await expect(version).toContainText('10.00');
  await version.getByRole('button', { name: /Restore version/ }).click();

  await expect(alice.page.getByLabel('Price')).toHaveValue('10.00');
  await expect(bob.page.getByLabel('Price')).toHaveValue('10.00');
  await expect(
    alice.page.getByRole('listitem').filter({ hasText: 'restore' }).first(),
  ).toBeVisible();
});
