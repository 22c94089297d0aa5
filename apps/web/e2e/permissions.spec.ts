import { expect, test } from './test';
import { createProduct, openProduct, signIn, status } from './helpers';

test('a viewer cannot change anything', async ({ browser }) => {
  const editor = await signIn(browser, 'Erin');
  const id = await createProduct(editor.page, 'Viewer draft');
  // Overwrite name and description so the document holds deletions: a viewer's sync step 2 then
  // carries a delete set, which must not be mistaken for a write.
  await editor.page.getByLabel('Name').fill('Viewer check');
  await editor.page.getByLabel('Description').fill('first text');
  await editor.page.getByLabel('Description').fill('second text');
  await expect(status(editor.page)).toHaveText('All changes saved');

  const viewer = await signIn(browser, 'Vera', 'viewer');
  await expect(viewer.page.getByRole('button', { name: 'New product' })).toHaveCount(0);
  await expect(viewer.page.getByText('Read-only: viewers')).toBeVisible();
  await expect(viewer.page.getByRole('link', { name: /Viewer check/ })).toBeVisible();
  await openProduct(viewer.page, id);
  await expect(viewer.page.getByText(/Read-only\. You are signed in as a viewer/)).toBeVisible();
  for (const label of ['Name', 'SKU', 'Price', 'Description', 'Stock']) {
    await expect(viewer.page.getByLabel(label)).not.toBeEditable();
  }
  for (const label of ['Currency', 'Status']) {
    await expect(viewer.page.getByLabel(label)).toBeDisabled();
  }
  await expect(viewer.page.getByRole('button', { name: 'Received' })).toHaveCount(0);
  await expect(viewer.page.getByRole('button', { name: 'Add tag' })).toHaveCount(0);
  await expect(viewer.page.getByLabel('Name')).toHaveValue('Viewer check');
  await expect(status(viewer.page)).toHaveText('All changes saved');
  // A later edit reaching the viewer means the server has handled the viewer's sync: no refusal.
  await editor.page.getByLabel('Price').fill('3.50');
  await expect(viewer.page.getByLabel('Price')).toHaveValue('3.50');
  await expect(viewer.page.getByText(/refused/)).toHaveCount(0);
});

test("nobody can change another user's profile", async ({ browser }) => {
  const gina = await signIn(browser, 'Gina');
  await gina.page.getByRole('link', { name: 'My profile' }).click();
  await gina.page.getByLabel('Display name').fill('Gina G.');
  await gina.page.getByLabel('Bio').fill('Buyer for kitchenware.');
  await expect(status(gina.page)).toHaveText('All changes saved');

  const hugo = await signIn(browser, 'Hugo');
  await hugo.page.goto('/#/profile/demo-gina');
  await expect(hugo.page.getByLabel('Display name')).toHaveValue('Gina G.');
  await expect(hugo.page.getByText("This is demo-gina's profile")).toBeVisible();
  for (const label of ['Display name', 'Email', 'Bio', 'Avatar URL', 'Locale']) {
    await expect(hugo.page.getByLabel(label)).not.toBeEditable();
  }
  // His own profile is editable.
  await hugo.page.getByRole('link', { name: 'My profile' }).click();
  await expect(hugo.page.getByLabel('Display name')).toBeEditable();
});
