/** Opening a PostgreSQL pool for one of Concord's stores: its schema checked, its tables made once. */
import pg from 'pg';
import { pgTransaction } from './pgTransaction.js';

export interface PgStoreOptions {
  readonly connectionString: string;
  /** The deployment's schema (default `concord`). */
  readonly schema?: string;
  readonly max?: number;
}

/**
 * A pool, and the quoted schema name, after `ddl(schema)` ran under an advisory lock (instances
 * starting together create the tables once). The pool is closed again if that fails.
 */
export async function openPgStore(
  options: PgStoreOptions,
  ddl: (quotedSchema: string) => string,
): Promise<{ pool: pg.Pool; schema: string }> {
  const schema = options.schema ?? 'concord';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 4,
    connectionTimeoutMillis: 5_000,
  });
  pool.on('error', () => {});
  try {
    await pgTransaction(pool, async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`concord-ddl:${schema}`]);
      await c.query(ddl(`"${schema}"`));
    });
  } catch (error) {
    await pool.end();
    throw error;
  }
  return { pool, schema: `"${schema}"` };
}
