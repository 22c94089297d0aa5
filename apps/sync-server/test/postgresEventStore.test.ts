import { afterAll, describe, expect, it } from 'vitest';
import type { NewEntry } from '../src/store/eventStore.js';
import { PostgresEventStore } from '../src/store/postgresEventStore.js';
import { expectVersionsAfterOldSnapshots, runEventStoreContract } from './eventStoreContract.js';
import pg from 'pg';
import { DATABASE_URL, dropSchema, pgStore, uniqueName } from './scaleHelpers.js';

const schemas: string[] = [];
afterAll(async () => {
  for (const s of schemas) await dropSchema(s);
});

// Each contract test gets a fresh schema, so tests cannot see one another's documents.
runEventStoreContract('postgresql', async () => {
  const schema = uniqueName('concord_test');
  schemas.push(schema);
  return pgStore(schema);
});

const entry = (n: number, user = `u${n}`): NewEntry => ({
  update: new Uint8Array([n & 255]),
  user,
  ts: 1_700_000_000_000 + n,
  kind: 'edit',
  changes: [],
});

describe('PostgreSQL store across instances', () => {
  it('PG1: concurrent appends from several pools (instances) to one document keep a gap-free sequence', async () => {
    const schema = uniqueName('concord_test');
    schemas.push(schema);
    const stores = await Promise.all([1, 2, 3, 4].map(() => pgStore(schema, 4)));
    try {
      const perStore = 25;
      await Promise.all(
        stores.flatMap((store, s) =>
          Array.from({ length: perStore }, (_, i) =>
            store.append([
              // two documents per commit, in different orders, to exercise lock ordering
              { doc: 'product:shared', entries: [entry(i, `s${s}`), entry(i + 1, `s${s}`)] },
              { doc: `product:${s % 2 ? 'x' : 'y'}`, entries: [entry(i, `s${s}`)] },
            ]),
          ),
        ),
      );
      const log = await stores[0]!.readLog('product:shared', 0, 10_000);
      expect(log.map((e) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      // each commit's two entries are adjacent
      for (let i = 0; i < log.length; i += 2) expect(log[i]!.user).toBe(log[i + 1]!.user);
      expect((await stores[1]!.head('product:shared'))?.seq).toBe(200);
      expect((await stores[2]!.head('product:x'))?.seq).toBe(50);
      expect((await stores[3]!.head('product:y'))?.seq).toBe(50);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('STORE12: a schema made before snapshots recorded schema versions gets the column and keeps its snapshots', async () => {
    const schema = uniqueName('concord_test');
    schemas.push(schema);
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA "${schema}"`);
      await client.query(
        `CREATE TABLE "${schema}".snapshots (doc text NOT NULL, seq bigint NOT NULL, state bytea NOT NULL, PRIMARY KEY (doc, seq))`,
      );
      await client.query(
        `INSERT INTO "${schema}".snapshots (doc, seq, state) VALUES ('product:old', 0, '\\x05')`,
      );
    } finally {
      await client.end();
    }
    const store = await pgStore(schema);
    try {
      await expectVersionsAfterOldSnapshots(store);
    } finally {
      await store.close();
    }
  });

  it('PG2: two instances creating the same schema at once both succeed; bad schema names are refused', async () => {
    const schema = uniqueName('concord_test');
    schemas.push(schema);
    const [a, b] = await Promise.all([pgStore(schema), pgStore(schema)]);
    await a!.append([{ doc: 'product:a', entries: [entry(1)] }]);
    expect((await b!.head('product:a'))?.seq).toBe(1);
    await a!.close();
    expect(await a!.ping()).toBe(false);
    await b!.close();
    await expect(
      PostgresEventStore.connect({
        connectionString: 'postgres://x@127.0.0.1/x',
        schema: 'x"; drop',
      }),
    ).rejects.toThrow(/invalid schema/);
  });
});
