import { expect, test } from './test';
import { createProduct, goOffline, openProduct, signIn, status } from './helpers';

test('offline edits of the same fields merge on reconnect; the loser of a scalar sees a notice', async ({
  browser,
}) => {
  const alice = await signIn(browser, 'Ada');
  const bob = await signIn(browser, 'Bert');
  const id = await createProduct(alice.page, 'Kettle');
  await alice.page.getByLabel('Description').fill('Boils water.');
  await alice.page.getByLabel('Units received or sold').fill('10');
  await alice.page.getByRole('button', { name: 'Received' }).click();
  await expect(status(alice.page)).toHaveText('All changes saved');
  await openProduct(bob.page, id);
  await expect(bob.page.getByLabel('Stock')).toHaveValue('10');

  await goOffline(alice);
  await goOffline(bob);

  // Alice first, Bob later: Bob's name is the later write.
  await alice.page.getByLabel('Name').fill('Kettle Alpha');
  await alice.page.getByLabel('Description').press('Home');
  await alice.page.getByLabel('Description').pressSequentially('Fast. ');
  await alice.page.getByLabel('Tags').fill('kitchen');
  await alice.page.getByLabel('Tags').press('Enter');
  await alice.page.getByLabel('Units received or sold').fill('5');
  await alice.page.getByRole('button', { name: 'Received' }).click();
  await expect(alice.page.getByLabel('Stock')).toHaveValue('15');

  await bob.page.getByLabel('Name').fill('Kettle Beta');
  await bob.page.getByLabel('Description').press('End');
  await bob.page.getByLabel('Description').pressSequentially(' Quiet.');
  await bob.page.getByLabel('Tags').fill('steel');
  await bob.page.getByLabel('Tags').press('Enter');
  await bob.page.getByLabel('Units received or sold').fill('3');
  await bob.page.getByRole('button', { name: 'Sold' }).click();
  await expect(bob.page.getByLabel('Stock')).toHaveValue('7');
  await expect(status(alice.page)).toHaveText(/unsaved/);
  await expect(status(bob.page)).toHaveText(/unsaved/);

  await alice.context.setOffline(false);
  await bob.context.setOffline(false);
  for (const { page } of [alice, bob]) {
    await expect(status(page)).toHaveText('All changes saved');
    await expect(page.getByLabel('Name')).toHaveValue('Kettle Beta');
    await expect(page.getByLabel('Description')).toHaveValue('Fast. Boils water. Quiet.');
    await expect(page.getByLabel('Stock')).toHaveValue('12');
    await expect(page.getByRole('list', { name: 'Tag list' })).toContainText('kitchen');
    await expect(page.getByRole('list', { name: 'Tag list' })).toContainText('steel');
  }
  const notice = alice.page.getByRole('alert').filter({ hasText: 'overwritten' });
  await expect(notice).toContainText(
    'Your change to Name (Kettle Alpha) was overwritten by demo-bert with Kettle Beta',
  );
  await expect(bob.page.getByRole('alert').filter({ hasText: 'overwritten' })).toHaveCount(0);

  // Restoring puts Alice's value back for everyone.
  await notice.getByRole('button', { name: 'Restore my Name' }).click();
  await expect(bob.page.getByLabel('Name')).toHaveValue('Kettle Alpha');
  await expect(notice).toHaveCount(0);
});

test('a product created offline appears in the other person’s catalog after reconnecting', async ({
  browser,
}) => {
  const alice = await signIn(browser, 'Carla');
  const bob = await signIn(browser, 'Dino');
  await goOffline(alice);
  await createProduct(alice.page, 'Made offline');
  await alice.page.getByLabel('SKU').fill('OFF-1');
  await alice.page
    .getByRole('link', { name: /Catalog/ })
    .first()
    .click();
  await expect(alice.page.getByRole('link', { name: /Made offline/ })).toBeVisible();
  await expect(status(alice.page)).toHaveText(/unsaved/);
  await expect(bob.page.getByRole('link', { name: /Made offline/ })).toHaveCount(0);

  await alice.context.setOffline(false);
  await expect(status(alice.page)).toHaveText('All changes saved');
  await expect(bob.page.getByRole('link', { name: /Made offline/ })).toBeVisible();
  await expect(bob.page.getByRole('row').filter({ hasText: 'Made offline' })).toContainText(
    'OFF-1',
  );
});
