import { expect, test, type Page } from './test';
import { goOffline, openProduct, seedProducts, signIn, status } from './helpers';

async function newOrder(page: Page, customer: string, product: string, quantity: number) {
  await page.getByRole('link', { name: 'Orders', exact: true }).click();
  await page.getByRole('button', { name: 'New order' }).click();
  await expect(page.getByLabel('Customer')).toBeVisible();
  await page.getByLabel('Customer').fill(customer);
  await page.getByLabel('Add a product').fill(product);
  await page.getByRole('button', { name: new RegExp(`^Add ${product}`) }).click();
  await page.getByLabel(`Quantity of ${product}`).fill(String(quantity));
  await expect(page.getByLabel(`Quantity of ${product}`)).toHaveValue(String(quantity));
}

const timeline = (page: Page) => page.getByRole('region', { name: 'Order timeline' });

test('an order drafted offline is placed once online: the timeline reaches "Stock updated" and another person sees the available stock drop', async ({
  browser,
}) => {
  const ana = await signIn(browser, 'Orla Orders');
  await seedProducts(
    ana.context,
    [{ name: 'Order lamp', status: 'active', priceCents: 1_999, stock: { delta: 5 } }],
    () => 'order-lamp',
  );
  const ben = await signIn(browser, 'Oscar Other');
  await openProduct(ben.page, 'order-lamp');
  await expect(ben.page.getByLabel('Availability')).toContainText('Available 5');

  await ana.page.getByLabel('Search products').fill('Order lamp');
  await expect(ana.page.getByRole('link', { name: 'Order lamp' })).toBeVisible();
  await goOffline(ana);
  await newOrder(ana.page, 'ACME Offline', 'Order lamp', 2);
  await expect(ana.page.getByText('Total: €39.98')).toBeVisible();
  await ana.page.getByRole('button', { name: 'Place order' }).click();
  await expect(ana.page.getByRole('alert')).toHaveText(
    'Placing an order needs a connection — your draft is saved.',
  );
  await expect(status(ana.page)).toHaveText(/unsaved/);

  await ana.context.setOffline(false);
  await expect(status(ana.page)).toHaveText('All changes saved');
  await ana.page.getByRole('button', { name: 'Place order' }).click();
  const steps = timeline(ana.page).getByRole('listitem');
  await expect(steps.filter({ hasText: 'Stock updated' })).toContainText('(done)', {
    timeout: 20_000,
  });
  await expect(steps.filter({ hasText: 'Reserved' })).toContainText('(done)');
  await expect(steps.filter({ hasText: 'Paid' })).toContainText('(done)');
  await expect(ana.page.getByRole('heading', { name: /Order for ACME Offline/ })).toContainText(
    'Stock updated',
  );
  await ana.page.getByRole('button', { name: 'Mark fulfilled' }).click();
  await expect(steps.filter({ hasText: 'Fulfilled' })).toContainText('(done)');

  // The other person's open product: on hand and available both went down by 2.
  await expect(ben.page.getByLabel('Availability')).toContainText('Available 3', {
    timeout: 15_000,
  });
  await expect(ben.page.getByLabel('Stock')).toHaveValue('3');
});

test('a declined payment shows the reservation released, and the stock back', async ({
  browser,
}) => {
  const ana = await signIn(browser, 'Dora Decline');
  await seedProducts(
    ana.context,
    [{ name: 'Decline desk', status: 'active', priceCents: 10_000, stock: { delta: 1 } }],
    () => 'decline-desk',
  );
  await ana.page.getByLabel('Search products').fill('Decline desk');
  await expect(ana.page.getByRole('link', { name: 'Decline desk' })).toBeVisible();
  await newOrder(ana.page, 'Decline Ltd', 'Decline desk', 1);
  await expect(status(ana.page)).toHaveText('All changes saved');
  await ana.page.getByRole('button', { name: 'Place order' }).click();
  const steps = timeline(ana.page).getByRole('listitem');
  await expect(steps.filter({ hasText: 'Payment declined' })).toContainText('(failed)', {
    timeout: 20_000,
  });
  await expect(steps.filter({ hasText: 'Reservation released' })).toContainText('(done)');
  await expect(ana.page.getByRole('button', { name: 'Place order' })).toBeVisible();

  // A second order for more than there is: refused plainly, nothing reserved.
  await newOrder(ana.page, 'Big buyer', 'Decline desk', 3);
  await expect(status(ana.page)).toHaveText('All changes saved');
  await ana.page.getByRole('button', { name: 'Place order' }).click();
  await expect(ana.page.getByRole('alert')).toHaveText(
    'Not enough stock: Decline desk — 3 wanted, 1 available.',
  );
});
