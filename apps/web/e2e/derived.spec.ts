import { expect, test } from './test';
import { createProduct, goOffline, openProduct, signIn, status } from './helpers';

test('a name typed offline and the tab closed at once: the catalog row is right after reopening offline, and online', async ({
  browser,
}) => {
  const ana = await signIn(browser, 'Uma');
  const id = await createProduct(ana.page, 'Desk lamp');
  await expect(status(ana.page)).toHaveText('All changes saved');
  await expect
    .poll(() => ana.page.evaluate(() => navigator.serviceWorker.controller !== null))
    .toBe(true);
  await goOffline(ana);
  await ana.page.getByLabel('Name').fill('Desk lamp, brass');
  // Closed right away: no time for anything deferred.
  await ana.page.close();

  const page = await ana.context.newPage();
  await page.goto('/');
  const row = page.getByRole('link', { name: /Desk lamp/ });
  await expect(row).toContainText('Desk lamp, brass');
  await page.getByRole('searchbox').fill('brass');
  await expect(page.getByRole('link', { name: /Desk lamp, brass/ })).toBeVisible();
  await expect(status(page)).toHaveText(/unsaved change/);

  await ana.context.setOffline(false);
  await expect(status(page)).toHaveText('All changes saved');
  await expect(page.getByRole('link', { name: /Desk lamp, brass/ })).toBeVisible();
  await openProduct(page, id);
  await expect(page.getByLabel('Name')).toHaveValue('Desk lamp, brass');
});

test("tab B counts tab A's relayed edit as unsaved until the server acknowledges it", async ({
  browser,
}) => {
  const ana = await signIn(browser, 'Vic');
  const id = await createProduct(ana.page, 'Relay test');
  await expect(status(ana.page)).toHaveText('All changes saved');
  const tabB = await ana.context.newPage();
  await openProduct(tabB, id);
  await expect(status(tabB)).toHaveText('All changes saved');
  // Tab B alone goes offline; tab A stays online and edits.
  await tabB.evaluate(() =>
    (
      window as unknown as { concord: { online: { setOnline(v: boolean): void } } }
    ).concord.online.setOnline(false),
  );
  await expect(status(tabB)).toHaveText('Offline');
  await ana.page.getByLabel('Name').fill('Relay test, edited in A');
  await expect(tabB.getByLabel('Name')).toHaveValue('Relay test, edited in A');
  await expect(status(tabB)).toHaveText(/^\d+ unsaved changes?$/);
  await tabB.evaluate(() =>
    (
      window as unknown as { concord: { online: { setOnline(v: boolean): void } } }
    ).concord.online.setOnline(true),
  );
  await expect(status(tabB)).toHaveText('All changes saved');
});

test('tab B stays unsaved while connected until its acknowledgement arrives, even after tab A closed', async ({
  browser,
  request,
}) => {
  const ana = await signIn(browser, 'Wes');
  const id = await createProduct(ana.page, 'Ack test');
  await expect(status(ana.page)).toHaveText('All changes saved');
  // Tab B's connection to the server loses its savedAcks (message type 100) while `holding`.
  let holding = false;
  const tabB = await ana.context.newPage();
  await tabB.routeWebSocket(/\/product:/, (ws) => {
    const server = ws.connectToServer();
    server.onMessage((message) => {
      if (holding && typeof message !== 'string' && message[0] === 100) return;
      ws.send(message);
    });
  });
  await openProduct(tabB, id);
  const demo = await request.post('/api/auth/demo', { data: { name: 'Reader', role: 'viewer' } });
  const reader = { authorization: `Bearer ${((await demo.json()) as { token: string }).token}` };
  await expect(status(tabB)).toHaveText('All changes saved');
  holding = true;
  // Tab A cannot reach the server; its edit reaches the server only through tab B.
  await ana.page.evaluate(() =>
    (
      window as unknown as { concord: { online: { setOnline(v: boolean): void } } }
    ).concord.online.setOnline(false),
  );
  await expect(status(ana.page)).toHaveText('Offline');
  await ana.page.getByLabel('Name').fill('Ack test, edited in A');
  await expect(tabB.getByLabel('Name')).toHaveValue('Ack test, edited in A');
  // The server holds the edit (tab B sent it); tab B has not heard so, and does not claim it.
  await expect
    .poll(async () => (await request.get(`/api/docs/product:${id}`, { headers: reader })).json())
    .toMatchObject({ name: 'Ack test, edited in A' });
  await ana.page.close();
  await expect(status(tabB)).toHaveText('Syncing');
  holding = false;
  // The next connection's acknowledgement covers it.
  await tabB.evaluate(() => {
    const { online } = (
      window as unknown as { concord: { online: { setOnline(v: boolean): void } } }
    ).concord;
    online.setOnline(false);
    online.setOnline(true);
  });
  await expect(status(tabB)).toHaveText('All changes saved');
});
