/**
 * One contract for the simulated provider's books (ChargeBook): SQLite and PostgreSQL. The first
 * decision for a key stands, from any number of callers at once; only a paid charge is refunded.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ChargeBook } from '../src/orders/chargeBook.js';
import { PostgresChargeBook } from '../src/orders/postgresChargeBook.js';
import { SqliteChargeBook } from '../src/orders/sqliteChargeBook.js';
import { tempDir } from './helpers.js';
import { DATABASE_URL, dropSchema, uniqueName } from './scaleHelpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function contract(label: string, open: () => Promise<ChargeBook[]>): void {
  describe(`ChargeBook contract: ${label}`, () => {
    it('the first decision for a key stands, however many ask at once', async () => {
      const books = await open();
      const outcomes = await Promise.all(
        (['paid', 'declined', 'timeout', 'paid', 'declined', 'declined'] as const).map((o, i) =>
          books[i % books.length]!.decide(
            { key: 'order:a', outcome: o, amountCents: 1_000 + i, currency: 'EUR' },
            i,
          ),
        ),
      );
      expect(new Set(outcomes).size).toBe(1);
      const entries = await books[0]!.entries();
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ key: 'order:a', outcome: outcomes[0], refunded: false });
    });

    it('a refund applies to a paid charge only, once', async () => {
      const [book] = await open();
      await book!.decide({ key: 'p', outcome: 'paid', amountCents: 500, currency: 'USD' }, 1);
      await book!.decide({ key: 'd', outcome: 'declined', amountCents: 700, currency: 'EUR' }, 2);
      await book!.refund('p', 3);
      await book!.refund('p', 4);
      await book!.refund('d', 5);
      await book!.refund('never-charged', 6);
      expect(await book!.entries()).toEqual([
        { key: 'd', outcome: 'declined', amountCents: 700, currency: 'EUR', refunded: false },
        { key: 'p', outcome: 'paid', amountCents: 500, currency: 'USD', refunded: true },
      ]);
    });
  });
}

contract('sqlite (file, WAL)', async () => {
  const dir = tempDir();
  // Two connections to one file, as two processes over one data directory would have.
  const books = [
    new SqliteChargeBook(`${dir.path}/payments.db`),
    new SqliteChargeBook(`${dir.path}/payments.db`),
  ];
  cleanups.push(async () => {
    for (const b of books) await b.close();
    dir.remove();
  });
  return books;
});

contract('postgresql', async () => {
  const schema = uniqueName('concord_pay');
  const books = [
    await PostgresChargeBook.connect({ connectionString: DATABASE_URL, schema }),
    await PostgresChargeBook.connect({ connectionString: DATABASE_URL, schema }),
  ];
  cleanups.push(async () => {
    for (const b of books) await b.close();
    await dropSchema(schema);
  });
  return books;
});
