import { expect, test } from '@playwright/test';
import { createProduct, signIn, status } from './helpers';

test('catalog: search, status filter and archive', async ({ browser }) => {
  const { page } = await signIn(browser, 'Nora');
  await createProduct(page, 'Nora red chair');
  await page.getByLabel('SKU').fill('CH-RED');
  await page.getByLabel('Status').selectOption('active');
  await page
    .getByRole('link', { name: /Catalog/ })
    .first()
    .click();
  await createProduct(page, 'Nora blue table');
  await page
    .getByRole('link', { name: /Catalog/ })
    .first()
    .click();
  await expect(status(page)).toHaveText('All changes saved');

  const products = page.getByRole('list', { name: 'Products' });
  await expect(products.getByRole('listitem')).toHaveCount(2);
  await page.getByLabel('Search products').fill('ch-red');
  await expect(products.getByRole('listitem')).toHaveCount(1);
  await expect(products).toContainText('Nora red chair');
  await page.getByLabel('Search products').fill('');

  await page.getByLabel('Filter by status').selectOption('active');
  await expect(products.getByRole('listitem')).toHaveCount(1);
  await page.getByLabel('Filter by status').selectOption('current');

  await page.getByRole('button', { name: 'Archive Nora blue table' }).click();
  await expect(products.getByRole('listitem')).toHaveCount(1);
  await expect(products).not.toContainText('Nora blue table');
  await page.getByLabel('Filter by status').selectOption('archived');
  await expect(products).toContainText('Nora blue table');
  await expect(status(page)).toHaveText('All changes saved');

  // The archive reached the server: a fresh browser sees it archived.
  const other = await signIn(browser, 'Omar');
  await other.page.getByLabel('Filter by status').selectOption('archived');
  await expect(other.page.getByRole('list', { name: 'Products' })).toContainText('Nora blue table');
});
