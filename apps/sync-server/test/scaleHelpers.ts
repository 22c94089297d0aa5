/** Helpers for tests against the machine's real PostgreSQL and Redis: unique schemas and prefixes. */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { testConfig } from '../src/config.js';
import { startScaleOut, type ScaleOutOptions, type ScaleOutServer } from '../src/scale/scaleOut.js';
import { PostgresEventStore } from '../src/store/postgresEventStore.js';
import { SECRET } from './helpers.js';

export const DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export const uniqueName = (base: string) =>
  `${base}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;

export async function pgStore(schema: string, max = 5): Promise<PostgresEventStore> {
  return PostgresEventStore.connect({ connectionString: DATABASE_URL, schema, max });
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Delete every key under `prefix` (SCAN, not KEYS). */
export async function dropRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 3 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** One in-process instance of a test deployment (its schema and key prefix), quick to notice gaps. */
export function startInstance(
  schema: string,
  prefix: string,
  options: Partial<ScaleOutOptions> = {},
): Promise<ScaleOutServer> {
  return startScaleOut(testConfig({ authSecret: SECRET }), {
    databaseUrl: DATABASE_URL,
    redisUrl: REDIS_URL,
    schema,
    prefix,
    pgPoolSize: 4,
    fanOut: { sweepMs: 1_000, gapGraceMs: 100 },
    ...options,
  });
}
