import { expect, test, type Page } from './test';
import { goOffline, openProduct, seedProducts, signIn, status } from './helpers';

const grid = (page: Page) => page.getByRole('grid', { name: 'Products' });
const rows = (page: Page) =>
  grid(page)
    .getByRole('row')
    .filter({ has: page.getByRole('link') });

test('bulk edit of 100 products offline: saved after reconnecting and seen by a second person', async ({
  browser,
}) => {
  const ana = await signIn(browser, 'Bulk Ana');
  await seedProducts(
    ana.context,
    Array.from({ length: 100 }, (_, i) => ({
      name: `Bulkware ${String(i).padStart(3, '0')}`,
      status: 'active',
      priceCents: 1000 + i,
    })),
    (i) => `bulk-${i}`,
  );
  await ana.page.getByLabel('Search products').fill('bulkware');
  await expect(ana.page.getByText(/^100 of [\d,]+ products$/)).toBeVisible();
  await expect(status(ana.page)).toHaveText('All changes saved');

  await goOffline(ana);
  await ana.page.getByRole('checkbox', { name: 'Select all 100 shown' }).check();
  await expect(ana.page.getByText('100 products selected')).toBeVisible();
  await ana.page.getByLabel('Tag').fill('summer');
  await ana.page.getByRole('button', { name: 'Add tag' }).click();
  await expect(ana.page.getByText('Changed 100 products.')).toBeVisible();
  await ana.page.getByLabel('Change price by').fill('10');
  await ana.page.getByRole('button', { name: 'Change prices' }).click();
  await expect(ana.page.getByText('Changed 100 products.')).toBeVisible();
  // Offline: stored on this device, shown in the table, and said to be unsaved.
  await expect(status(ana.page)).toHaveText('200 unsaved changes');
  await expect(rows(ana.page).filter({ hasText: 'Bulkware 007' })).toContainText('summer');
  await expect(rows(ana.page).filter({ hasText: 'Bulkware 007' })).toContainText('11.08');

  await ana.context.setOffline(false);
  await expect(status(ana.page)).toHaveText('All changes saved', { timeout: 60_000 });

  const ben = await signIn(browser, 'Bulk Ben');
  await ben.page.getByLabel('Search products').fill('bulkware summer');
  await expect(ben.page.getByText(/^100 of [\d,]+ products$/)).toBeVisible();
  await openProduct(ben.page, 'bulk-99');
  await expect(ben.page.getByLabel('Price')).toHaveValue('12.09');
  await expect(ben.page.getByText('summer')).toBeVisible();
});

test('the table sorts by a column and is driven from the keyboard', async ({ browser }) => {
  const kim = await signIn(browser, 'Keys Kim');
  await seedProducts(
    kim.context,
    ['Kbd apple', 'Kbd banana', 'Kbd cherry', 'Kbd damson'].map((name, i) => ({
      name,
      priceCents: [300, 100, 400, 200][i],
    })),
    (i) => `kbd-${i}`,
  );
  const page = kim.page;
  await page.getByLabel('Search products').fill('kbd');
  await expect(rows(page)).toHaveCount(4);
  await page.getByRole('button', { name: 'Price' }).click();
  await expect(rows(page).first()).toContainText('Kbd banana');
  await page.getByRole('button', { name: 'Price' }).click();
  await expect(grid(page).getByRole('columnheader', { name: 'Price' })).toHaveAttribute(
    'aria-sort',
    'descending',
  );
  await expect(rows(page).first()).toContainText('Kbd cherry');

  await grid(page).focus();
  await page.keyboard.press('ArrowDown'); // apple (300)
  await page.keyboard.press('Space');
  await page.keyboard.press('Shift+End'); // apple .. banana
  await expect(page.getByText('3 products selected')).toBeVisible();
  await expect(rows(page).filter({ hasText: 'Kbd cherry' })).toHaveAttribute(
    'aria-selected',
    'false',
  );
  await page.keyboard.press('Escape');
  await expect(page.getByText(/products? selected/)).toHaveCount(0);
  await page.keyboard.press('Home');
  await page.keyboard.press('Enter');
  await expect(page.getByLabel('Name')).toHaveValue('Kbd cherry');
});

test('on a phone: two-line rows, and every sort from the toolbar', async ({
  browser,
}, testInfo) => {
  const pia = await signIn(browser, 'Phone Pia');
  await seedProducts(
    pia.context,
    ['Pho apple', 'Pho banana', 'Pho cherry'].map((name, i) => ({
      name,
      sku: ['PH-2', 'PH-3', 'PH-1'][i],
    })),
    (i) => `pho-${i}`,
  );
  const page = pia.page;
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByLabel('Search products').fill('pho');
  await expect(rows(page)).toHaveCount(3);
  // Name on one line, price, stock and status on the next; the SKU column is not shown.
  const first = rows(page).first();
  const name = await first.locator('.col-name').boundingBox();
  const status = await first.locator('.col-status').boundingBox();
  expect(status!.y).toBeGreaterThanOrEqual(name!.y + name!.height - 1);
  await expect(grid(page).getByRole('columnheader', { name: 'SKU' })).toBeHidden();
  await page.getByLabel('Sort by').selectOption({ label: 'SKU ↑' });
  await expect(first).toContainText('Pho cherry');
  await page.getByLabel('Sort by').selectOption({ label: 'SKU ↓' });
  await expect(first).toContainText('Pho banana');
  await testInfo.attach('catalog on a phone', {
    body: await page.screenshot({ fullPage: true }),
    contentType: 'image/png',
  });
  // On a wide screen the headers sort, and the toolbar select is not shown.
  await page.setViewportSize({ width: 1280, height: 800 });
  await expect(page.getByLabel('Sort by')).toBeHidden();
  await expect(grid(page).getByRole('columnheader', { name: 'SKU' })).toHaveAttribute(
    'aria-sort',
    'descending',
  );
});

test('a first sync cut off by going offline resumes where it stopped once back online', async ({
  browser,
}) => {
  const seeder = await browser.newContext();
  await seedProducts(
    seeder,
    Array.from({ length: 600 }, (_, i) => ({ name: `Resume ${i}` })),
    (i) => `resume-${i}`,
  );
  const context = await browser.newContext();
  const page = await context.newPage();
  const asked: number[] = [];
  let cut = true;
  await page.route('**/api/sync', async (route) => {
    const docs = Object.keys((route.request().postDataJSON() as { docs: object }).docs);
    if (!docs[0]?.startsWith('product:')) return route.continue();
    // The network goes away while the second batch is asked for, until it is back.
    if (cut && asked.length === 1) {
      cut = false;
      await context.setOffline(true);
      return route.abort('internetdisconnected');
    }
    asked.push(docs.length);
    return route.continue();
  });
  await page.goto('/');
  await page.getByLabel('Your name').fill('Resume Rae');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(status(page)).toHaveText('Offline');
  const counts = async () => {
    const text = await page.getByText(/ of [\d,]+ products$/).textContent();
    return /^([\d,]+) of ([\d,]+)/
      .exec(text ?? '')!
      .slice(1)
      .map((n) => Number(n.replace(/,/g, '')));
  };
  // The batch that arrived before the cut is stored and shown; the rest waits for the network.
  await expect.poll(async () => (await counts())[1]).toBeGreaterThan(0);
  const [, partial] = await counts();
  expect(partial).toBeLessThan(600);
  await context.setOffline(false);
  await page.getByLabel('Filter by status').selectOption('all');
  await expect
    .poll(async () => (await counts())[1], { timeout: 30_000 })
    .toBeGreaterThanOrEqual(600);
  await expect(page.getByRole('progressbar')).toHaveCount(0);
  const [shown, total] = await counts();
  expect(shown).toBe(total);
  // Resumed, not restarted: no product was asked for twice.
  expect(asked.reduce((a, b) => a + b, 0)).toBe(total);
});
