import { expect, test } from './test';
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
  // Iris's changes are one session, price first → last; expanded, each change is there.
  const session = alice.page.getByRole('listitem').filter({ hasText: 'Price: 0.00 → 25.00' });
  await expect(session).toBeVisible();
  await session.getByRole('button', { name: /Show \d+ changes/ }).click();
  const entry = session.getByRole('listitem').filter({ hasText: 'Price: 0.00 → 10.00' });
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

test('history as sessions: a typed paragraph is one session; two people alternating make separate sessions', async ({
  browser,
}) => {
  const iris = await signIn(browser, 'Pia');
  const jon = await signIn(browser, 'Quin');
  const id = await createProduct(iris.page, 'Walnut stool');
  await expect(status(iris.page)).toHaveText('All changes saved');
  const description = iris.page.getByLabel('Description');
  await description.click();
  const paragraph = 'Solid walnut, oiled finish. Seats one.';
  await description.pressSequentially(paragraph, { delay: 15 });
  await expect(status(iris.page)).toHaveText('All changes saved');

  await iris.page.getByRole('button', { name: 'History' }).click();
  const sessions = iris.page.getByRole('list', { name: 'Editing sessions' });
  const items = sessions.locator(':scope > li.history-entry');
  await expect(items).toHaveCount(1);
  await expect(items.first()).toContainText(
    `Description: +${paragraph.length} characters: “${paragraph}”`,
  );

  // Jon, then Iris again: three sessions, newest first.
  await openProduct(jon.page, id);
  await jon.page.getByLabel('Price').fill('80.00');
  await expect(status(jon.page)).toHaveText('All changes saved');
  await iris.page.getByLabel('Price').fill('95.00');
  await expect(status(iris.page)).toHaveText('All changes saved');
  await expect(items).toHaveCount(3);
  await expect(items.locator('.history-meta strong')).toHaveText([
    'demo-pia',
    'demo-quin',
    'demo-pia',
  ]);
  await expect(items.nth(0)).toContainText('Price: 80.00 → 95.00');
  await expect(items.nth(1)).toContainText('Price: 0.00 → 80.00');

  // Filtered by person: only Quin's session.
  await iris.page.getByLabel('Filter by person').selectOption('demo-quin');
  await expect(items).toHaveCount(1);
  await expect(items.first()).toContainText('Price: 0.00 → 80.00');
});

test('revert one field’s change: the other person receives it; a field changed since asks first; compare two versions', async ({
  browser,
}) => {
  const pia = await signIn(browser, 'Rhea');
  const quin = await signIn(browser, 'Sven');
  const id = await createProduct(pia.page, 'Oak table');
  await pia.page.getByLabel('Price').fill('100.00');
  await pia.page.getByLabel('Description').fill('Solid oak');
  await expect(status(pia.page)).toHaveText('All changes saved');
  await openProduct(quin.page, id);
  await quin.page.getByLabel('Price').fill('120.00');
  await quin.page.getByLabel('Name').fill('Oak dining table');
  await quin.page.getByLabel('Description').fill('Solid oak seats six');
  await expect(status(quin.page)).toHaveText('All changes saved');

  await pia.page.getByRole('button', { name: 'History' }).click();
  const items = pia.page
    .getByRole('list', { name: 'Editing sessions' })
    .locator(':scope > li.history-entry');
  await expect(items).toHaveCount(2);
  const svens = items.filter({ hasText: 'demo-sven' });
  await expect(svens).toContainText('Price: 100.00 → 120.00');

  // Compare the two versions side by side.
  await items
    .nth(1)
    .getByLabel(/Compare version/)
    .check();
  await items
    .nth(0)
    .getByLabel(/Compare version/)
    .check();
  await pia.page.getByRole('button', { name: /Compare versions \d+ and \d+/ }).click();
  const comparison = pia.page.getByRole('region', { name: /Compare version \d+ with \d+/ });
  await expect(comparison.getByRole('row', { name: 'Price' })).toContainText('100.00');
  await expect(comparison.getByRole('row', { name: 'Price' })).toContainText('120.00');
  await expect(comparison.getByRole('row', { name: 'Name' })).toContainText('Oak table');
  await expect(comparison.getByRole('row', { name: 'Name' })).toContainText('Oak dining table');
  await expect(comparison.getByRole('row', { name: 'Description' }).locator('ins')).toContainText(
    'seats six',
  );
  await comparison.getByRole('button', { name: 'Close comparison' }).click();

  // Revert Sven's price only: his name stays, and he receives the revert.
  await svens.getByRole('button', { name: 'Revert Price' }).click();
  await expect(pia.page.getByLabel('Price')).toHaveValue('100.00');
  await expect(quin.page.getByLabel('Price')).toHaveValue('100.00');
  await expect(quin.page.getByLabel('Name')).toHaveValue('Oak dining table');

  // Rhea's own price change: the price changed since, so the app asks before overwriting.
  const rheas = items.filter({ hasText: 'demo-rhea' }).last();
  await rheas.getByRole('button', { name: 'Revert Price' }).click();
  const confirm = pia.page.getByRole('alertdialog', { name: 'Confirm revert' });
  await expect(confirm).toContainText('Price changed since: it is now 100.00');
  await confirm.getByRole('button', { name: 'Revert anyway' }).click();
  await expect(pia.page.getByLabel('Price')).toHaveValue('0.00');
  await expect(quin.page.getByLabel('Price')).toHaveValue('0.00');
  await expect(items.first()).toContainText('revert');

  // Blame, one click away in the editor: the revert was the price's last change.
  const priceField = pia.page.locator('.field').filter({ has: pia.page.getByLabel('Price') });
  await priceField.getByRole('button', { name: 'Who changed this?' }).click();
  await expect(priceField.getByRole('note')).toContainText('Last changed by demo-rhea');
  await expect(priceField.getByRole('note')).toContainText('from 100.00');
});
