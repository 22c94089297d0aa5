/**
 * Real accounts in a real browser (SPEC ACC1–ACC7), against a server started the way `npm start`
 * starts it, with no demo sign-in: first-run setup from the printed link, sign-in and sign-out,
 * an admin creating an editor, role changes and disabling applied live, offline editing past the
 * access token's expiry, and a second person on the same browser.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Browser, type Page } from './test';
import { createProduct, goOffline, openProduct, status } from './helpers';
import { kill9 } from './serverProcess';

const PORT = 4183;
const BASE = `http://127.0.0.1:${PORT}`;
const ADMIN = { name: 'Ada Admin', email: 'ada@example.com', password: 'ada-password-1' };
const ED = { name: 'Ed Editor', email: 'ed@example.com', password: 'ed-password-1' };
const FAY = { name: 'Fay Field', email: 'fay@example.com', password: 'fay-password-1' };

let server: ChildProcess | undefined;
let setupLink = '';

test.describe.configure({ mode: 'serial' });
// The tests share the administrator's tab; the contexts close with the file.
test.use({ keepContexts: true });

test.beforeAll(async () => {
  server = spawn('node', ['../sync-server/dist/src/main.js'], {
    env: {
      ...process.env,
      PORT: String(PORT),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'concord-e2e-accounts-')),
      // Access tokens of a few seconds: the tests see them expire and renew.
      ACCESS_TOKEN_TTL_SECONDS: '5',
      NODE_ENV: 'production',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  server.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await expect
    .poll(() => /http:\S+#\/setup\?code=\S+/.exec(out)?.[0] ?? '', { timeout: 15_000 })
    .not.toBe('');
  setupLink = /http:\S+#\/setup\?code=\S+/.exec(out)![0];
});
test.afterAll(async ({ browser }) => {
  await Promise.all(browser.contexts().map((context) => context.close()));
  if (server) await kill9(server);
});

async function signInAs(browser: Browser, who: { email: string; password: string }): Promise<Page> {
  const context = await browser.newContext({ baseURL: BASE });
  const page = await context.newPage();
  await page.goto('/');
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Catalog' })).toBeVisible();
  return page;
}

/** An admin bearer token for arranging things over the API. */
async function adminToken(): Promise<string> {
  const res = await fetch(`${BASE}/api/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: ADMIN.email, password: ADMIN.password }),
  });
  return ((await res.json()) as { token: string }).token;
}

async function adminApi(method: string, path: string, body?: unknown) {
  const res = await fetch(`${BASE}${path}`, {
    method,
    headers: { authorization: `Bearer ${await adminToken()}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return {
    status: res.status,
    json: (await res.json().catch(() => ({}))) as Record<string, unknown>,
  };
}

async function userId(email: string): Promise<string> {
  const { json } = await adminApi('GET', `/api/users?search=${encodeURIComponent(email)}`);
  return (json.users as { id: string }[])[0]!.id;
}

let admin: Page;

test('first run: nothing but setup until an admin exists; the printed link creates the first administrator', async ({
  browser,
}) => {
  const context = await browser.newContext({ baseURL: BASE });
  const page = await context.newPage();
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Create the first administrator' })).toBeVisible();
  expect((await fetch(`${BASE}/api/docs`)).status).toBe(401);

  await page.goto(setupLink);
  await expect(page.getByLabel('Setup code')).not.toHaveValue('');
  await page.getByLabel('Your name').fill(ADMIN.name);
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Create administrator' }).click();
  await expect(page.getByRole('heading', { name: 'Catalog' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Users' })).toBeVisible();
  // No token anywhere a script can read it.
  const saved = await page.evaluate(() => localStorage.getItem('concord.auth') ?? '');
  expect(saved).not.toMatch(/eyJ/);
  expect(await page.evaluate(() => document.cookie)).toBe('');
  admin = page;
});

test('an admin creates an editor, who signs in; a wrong password is refused plainly; sign-out ends the session', async ({
  browser,
}) => {
  await admin.getByRole('link', { name: 'Users' }).click();
  await admin.getByLabel('Name', { exact: true }).fill(ED.name);
  await admin.getByLabel('Email', { exact: true }).fill(ED.email);
  await admin.getByLabel('Role', { exact: true }).selectOption('editor');
  await admin.getByLabel(/Initial password/).fill(ED.password);
  await admin.getByRole('button', { name: 'Add person' }).click();
  await expect(admin.getByRole('row', { name: ED.name })).toBeVisible();

  const context = await browser.newContext({ baseURL: BASE });
  const page = await context.newPage();
  await page.goto('/');
  await page.getByLabel('Email').fill(ED.email);
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Wrong email or password.');
  await page.getByLabel('Password').fill(ED.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Catalog' })).toBeVisible();
  await expect(page.locator('.me .badge')).toHaveText('editor');

  const before = await context.cookies();
  expect(before.find((c) => c.name === 'concord_session')).toMatchObject({
    httpOnly: true,
    sameSite: 'Strict',
  });
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByLabel('Password')).toBeVisible();
  // The session is revoked on the server, not just forgotten by the browser.
  const refresh = await fetch(`${BASE}/api/auth/refresh`, {
    method: 'POST',
    headers: {
      cookie: `concord_session=${before.find((c) => c.name === 'concord_session')!.value}`,
    },
  });
  expect(refresh.status).toBe(401);
  await context.close();
});

test('a role change and a disable take effect live in the other person’s open tab', async ({
  browser,
}) => {
  const ed = await signInAs(browser, ED);
  const id = await createProduct(ed, 'Live role lamp');
  await expect(status(ed)).toHaveText('All changes saved');
  await expect(ed.getByLabel('Name')).toBeEditable();

  await admin.getByRole('link', { name: 'Users' }).click();
  await admin.getByLabel(`Role of ${ED.name}`).selectOption('viewer');
  await expect(admin.getByRole('status').filter({ hasText: 'is now viewer' })).toBeVisible();
  // No reload: the open editor turns read-only.
  await expect(ed.getByText(/signed in as a viewer/)).toBeVisible({ timeout: 5_000 });
  await expect(ed.getByLabel('Name')).not.toBeEditable();
  await expect(ed.locator('.me .badge')).toHaveText('viewer');

  await admin.getByLabel(`Role of ${ED.name}`).selectOption('editor');
  await expect(ed.getByLabel('Name')).toBeEditable({ timeout: 5_000 });
  await admin.getByRole('button', { name: `Disable ${ED.name}` }).click();
  await expect(ed.getByRole('alert').filter({ hasText: 'Your session has ended' })).toBeVisible({
    timeout: 5_000,
  });
  await admin.getByRole('button', { name: `Enable ${ED.name}` }).click();
  await expect(admin.getByRole('button', { name: `Disable ${ED.name}` })).toBeVisible();
  await openProduct(admin, id);
  await expect(admin.getByLabel('Name')).toHaveValue('Live role lamp');
  await ed.context().close();
});

test('offline past the access token’s expiry, then back online: everything is saved', async ({
  browser,
}) => {
  const page = await signInAs(browser, ED);
  const person = { context: page.context(), page };
  const id = await createProduct(page, 'Offline lamp');
  await expect(status(page)).toHaveText('All changes saved');
  await goOffline(person);
  await page.getByLabel('Description').fill('Written offline, saved later.');
  await expect(status(page)).toHaveText(/unsaved change/);
  const expiresAt = await page.evaluate(
    () => JSON.parse(localStorage.getItem('concord.auth')!).accessExpiresAt as number,
  );
  await expect.poll(() => Date.now() > expiresAt + 1_000, { timeout: 15_000 }).toBe(true);
  await person.context.setOffline(false);
  await expect(status(page)).toHaveText('All changes saved', { timeout: 20_000 });
  await openProduct(admin, id);
  await expect(admin.getByLabel('Description')).toHaveValue('Written offline, saved later.');
  await person.context.close();
});

test('a session revoked while offline: "Sign in again to save N changes"; signing in as someone else keeps them unseen and unsent; signing in again as the same person sends them', async ({
  browser,
}) => {
  await adminApi('POST', '/api/users', {
    email: FAY.email,
    name: FAY.name,
    role: 'editor',
    password: FAY.password,
  });
  const page = await signInAs(browser, ED);
  const context = page.context();
  const id = await createProduct(page, 'Kept lamp');
  await expect(status(page)).toHaveText('All changes saved');
  await goOffline({ context, page });
  await page.getByLabel('Name').fill('Kept lamp, renamed offline');
  await expect(status(page)).toHaveText(/unsaved change/);

  // Meanwhile an admin sets a new password: every session of Ed's ends.
  const newPassword = 'ed-password-2';
  expect(
    (await adminApi('PATCH', `/api/users/${await userId(ED.email)}`, { password: newPassword }))
      .status,
  ).toBe(200);

  await context.setOffline(false);
  await expect(status(page)).toHaveText(/^Sign in again to save \d+ changes?$/, {
    timeout: 20_000,
  });
  await expect(page.getByRole('alert').filter({ hasText: 'Your session has ended' })).toBeVisible();

  // A second tab of Ed's is open on the product when Fay signs in in the first.
  const tab2 = await context.newPage();
  await tab2.goto(`/#/product/${id}`);
  await expect(tab2.getByRole('alert').filter({ hasText: 'Your session has ended' })).toBeVisible();

  // Fay signs in on this browser: she sees none of Ed's unsent work, and it is not sent.
  await page.getByRole('button', { name: 'Sign in again' }).click();
  await page.getByLabel('Email').fill(FAY.email);
  await page.getByLabel('Password').fill(FAY.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('.me')).toContainText(FAY.name);
  await expect(page.getByText('Kept lamp, renamed offline')).toHaveCount(0);
  await expect(status(page)).toHaveText('All changes saved');
  // The other tab follows: it is Fay's now, and Ed's edit is not sent from there either.
  await expect(tab2.locator('.me')).toContainText(FAY.name);
  await expect(tab2.getByLabel('Name')).toHaveValue('Kept lamp');
  await tab2.close();
  const onServer = await adminApi('GET', `/api/docs/product:${id}`);
  expect(onServer.json.name).toBe('Kept lamp');

  // Ed signs in again on this browser: his edit is sent, under his name.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Email').fill(ED.email);
  await page.getByLabel('Password').fill(newPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('.me')).toContainText(ED.name);
  await expect(status(page)).toHaveText('All changes saved', { timeout: 20_000 });
  await expect
    .poll(async () => (await adminApi('GET', `/api/docs/product:${id}`)).json.name, {
      timeout: 15_000,
    })
    .toBe('Kept lamp, renamed offline');
  const history = await adminApi('GET', `/api/docs/product:${id}/history`);
  const editors = new Set((history.json.entries as { user: string }[]).map((e) => e.user));
  expect(editors).toEqual(new Set([await userId(ED.email)]));
});
