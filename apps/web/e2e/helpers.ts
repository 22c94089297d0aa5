import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';

export interface Person {
  readonly context: BrowserContext;
  readonly page: Page;
}

/** A person = a browser context (own IndexedDB), signed in through the UI. */
export async function signIn(
  browser: Browser,
  name: string,
  role: 'viewer' | 'editor' | 'admin' = 'editor',
  baseURL?: string,
): Promise<Person> {
  const context = await browser.newContext(baseURL ? { baseURL } : {});
  const page = await context.newPage();
  await page.goto('/');
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Role').selectOption(role);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Catalog' })).toBeVisible();
  return { context, page };
}

export function status(page: Page) {
  return page.getByRole('status');
}

/** Creates a product through the UI and returns its id (from the URL). */
export async function createProduct(page: Page, name: string): Promise<string> {
  await page.getByRole('button', { name: 'New product' }).click();
  await expect(page.getByLabel('Name')).toBeVisible();
  await page.getByLabel('Name').fill(name);
  await expect(page.getByLabel('Name')).toHaveValue(name);
  const id = /#\/product\/([\w-]+)/.exec(page.url())?.[1];
  if (!id) throw new Error(`no product id in ${page.url()}`);
  return id;
}

export async function openProduct(page: Page, id: string): Promise<void> {
  await page.goto(`/#/product/${id}`);
  await expect(page.getByLabel('Name')).toBeVisible();
}

export async function goOffline(person: Person): Promise<void> {
  await person.context.setOffline(true);
  await expect(status(person.page)).toHaveText(/Offline|unsaved/);
}

/** Products created over the API (as a demo editor), for tests that need many. */
export async function seedProducts(
  context: BrowserContext,
  products: readonly Record<string, unknown>[],
  ids: (i: number) => string,
): Promise<void> {
  const demo = await context.request.post('/api/auth/demo', {
    data: { name: `Seeder ${ids(0)}`, role: 'editor' },
  });
  const { token } = (await demo.json()) as { token: string };
  let next = 0;
  async function worker() {
    while (next < products.length) {
      const i = next++;
      const res = await context.request.patch(`/api/docs/product:${ids(i)}`, {
        headers: { authorization: `Bearer ${token}` },
        data: products[i],
      });
      expect(res.status(), await res.text()).toBeLessThan(300);
    }
  }
  await Promise.all(Array.from({ length: 6 }, worker));
}
