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
