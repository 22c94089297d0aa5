/**
 * Prepared statements kept per SQL text. Preparing compiles the SQL each time (~40 µs for a
 * one-row lookup, paid by every connection's account check before this); a store's SQL texts are
 * a fixed, small set, so the cache is bounded by the code, not by the input.
 */
import type Database from 'better-sqlite3';

export type Prepare = <P extends unknown[] = unknown[], R = unknown>(
  sql: string,
) => Database.Statement<P, R>;

export function preparedStatements(db: Database.Database): Prepare {
  const cache = new Map<string, Database.Statement<unknown[], unknown>>();
  return <P extends unknown[], R>(sql: string) => {
    let statement = cache.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      cache.set(sql, statement);
    }
    return statement as unknown as Database.Statement<P, R>;
  };
}
