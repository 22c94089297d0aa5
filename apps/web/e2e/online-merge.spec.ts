import { expect, test } from './test';
import { createProduct, openProduct, signIn, status } from './helpers';

test('two people online: text merges character by character, scalars converge', async ({
  browser,
}) => {
  const alice = await signIn(browser, 'Alice');
  const bob = await signIn(browser, 'Bob');
  const id = await createProduct(alice.page, 'Shared lamp');
  await alice.page.getByLabel('Description').fill('A lamp.');
  await expect(status(alice.page)).toHaveText('All changes saved');

  await openProduct(bob.page, id);
  await expect(bob.page.getByLabel('Name')).toHaveValue('Shared lamp');
  await expect(bob.page.getByLabel('Description')).toHaveValue('A lamp.');
  // Presence: each sees the other.
  await expect(alice.page.getByRole('list', { name: 'Also here' })).toContainText('Bob');

  // Both type into the description at once (different places): both edits survive.
  const a = alice.page.getByLabel('Description');
  const b = bob.page.getByLabel('Description');
  await a.press('Home');
  await Promise.all([a.pressSequentially('Bright! ', { delay: 10 }), b.press('End')]);
  await b.pressSequentially(' Cheap.', { delay: 10 });
  for (const page of [alice.page, bob.page]) {
    await expect(page.getByLabel('Description')).toHaveValue('Bright! A lamp. Cheap.');
  }

  // Scalars: the last write wins everywhere.
  await alice.page.getByLabel('Price').fill('12.50');
  await expect(bob.page.getByLabel('Price')).toHaveValue('12.50');
  await bob.page.getByLabel('Name').fill('Desk lamp');
  await bob.page.getByLabel('Status').selectOption('active');
  await expect(alice.page.getByLabel('Name')).toHaveValue('Desk lamp');
  await expect(alice.page.getByLabel('Status')).toHaveValue('active');
  await expect(status(alice.page)).toHaveText('All changes saved');
  await expect(status(bob.page)).toHaveText('All changes saved');
});
