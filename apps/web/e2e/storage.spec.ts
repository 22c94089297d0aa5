import { expect, test } from './test';
import { createProduct, openProduct, signIn, status } from './helpers';

test('the Storage panel shows what is kept on this device and how much space it takes', async ({
  browser,
}) => {
  const { page } = await signIn(browser, 'Sal Storage');
  await createProduct(page, 'Storage shelf');
  await page.getByText('Storage', { exact: true }).click();
  const panel = page.getByRole('group', { name: 'Storage on this device' });
  await expect(panel).toContainText(/\d+ documents on this device/);
  await expect(panel.getByRole('meter')).toBeVisible();
  await expect(panel).toContainText(/Using [\d.]+ (B|KB|MB) of [\d.]+ (MB|GB|TB)/);
  await expect(panel).toContainText(/Kept on this device|may clear this data/);
});

test('a full disk is said plainly, loses nothing stored before, and editing resumes when space is back', async ({
  browser,
}) => {
  const person = await signIn(browser, 'Quinn Quota');
  const { page } = person;
  // Chromium's quota override (DevTools) does not reach IndexedDB writes here: the browser's
  // refusal is injected where IndexedDB raises it, as the QuotaExceededError it is.
  await person.context.addInitScript(() => {
    const w = window as unknown as { diskFull: boolean };
    w.diskFull = false;
    for (const method of ['add', 'put'] as const) {
      const original = IDBObjectStore.prototype[method];
      IDBObjectStore.prototype[method] = function (this: IDBObjectStore, ...args: [unknown]) {
        if (w.diskFull)
          throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        return original.apply(this, args);
      } as typeof original;
    }
  });
  await page.reload();
  const id = await createProduct(page, 'Before the disk filled');
  await expect(status(page)).toHaveText('All changes saved');

  await page.evaluate(() => ((window as unknown as { diskFull: boolean }).diskFull = true));
  await page.getByLabel('Name').fill('Typed while the disk was full');
  await expect(page.getByRole('alert').filter({ hasText: /out of storage space/ })).toContainText(
    'Your saved work is safe',
  );

  // Space is back: a new edit is stored and saved.
  await page.evaluate(() => ((window as unknown as { diskFull: boolean }).diskFull = false));
  await page.reload();
  await openProduct(page, id);
  await page.getByLabel('Name').fill('After the disk was freed');
  await expect(status(page)).toHaveText('All changes saved');

  // What this device stored is all there, offline.
  await person.context.setOffline(true);
  await page.reload();
  await openProduct(page, id);
  await expect(page.getByLabel('Name')).toHaveValue('After the disk was freed');
});
