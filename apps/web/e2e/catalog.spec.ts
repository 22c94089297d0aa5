import { expect, test } from './test';
import { createProduct, signIn, status } from './helpers';

test('catalog: search, status filter and archiving from the table', async ({ browser }) => {
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

  const products = page.getByRole('grid', { name: 'Products' });
  const rows = products.getByRole('row').filter({ has: page.getByRole('link') });
  await expect(rows).toHaveCount(2);
  await page.getByLabel('Search products').fill('ch-red');
  await expect(rows).toHaveCount(1);
  await expect(products).toContainText('Nora red chair');
  await page.getByLabel('Search products').fill('');

  await page.getByLabel('Filter by status').selectOption('active');
  await expect(rows).toHaveCount(1);
  await page.getByLabel('Filter by status').selectOption('current');

  await page.getByRole('checkbox', { name: 'Select Nora blue table' }).click();
  await page.getByLabel('Status', { exact: true }).selectOption('archived');
  await page.getByRole('button', { name: 'Set status' }).click();
  await expect(page.getByText('Changed 1 product.')).toBeVisible();
  await expect(rows).toHaveCount(1);
  await expect(products).not.toContainText('Nora blue table');
  await page.getByLabel('Filter by status').selectOption('archived');
  await expect(products).toContainText('Nora blue table');
  await expect(status(page)).toHaveText('All changes saved');

  // The archive reached the server: a fresh browser sees it archived.
  const other = await signIn(browser, 'Omar');
  await other.page.getByLabel('Filter by status').selectOption('archived');
  await expect(other.page.getByRole('grid', { name: 'Products' })).toContainText('Nora blue table');
});
