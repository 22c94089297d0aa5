import { test as base } from '@playwright/test';

export { expect } from '@playwright/test';
export type { Browser, Page } from '@playwright/test';

/**
 * Playwright's `test`, closing every browser context a test opened when it ends. Each context is a
 * person with a live app; left open, they all keep syncing what later tests create, and the suite
 * slows down test by test until timeouts fire. A serial file whose tests share people sets
 * `keepContexts` and closes them itself.
 */
export const test = base.extend<{ keepContexts: boolean; closeContexts: void }>({
  keepContexts: [false, { option: true }],
  closeContexts: [
    async ({ browser, keepContexts }, use) => {
      const before = new Set(browser.contexts());
      await use();
      if (keepContexts) return;
      const opened = browser.contexts().filter((context) => !before.has(context));
      await Promise.all(opened.map((context) => context.close()));
    },
    { auto: true },
  ],
});
