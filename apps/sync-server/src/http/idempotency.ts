/**
 * `Idempotency-Key` for HTTP writes (SPEC HTTP4): the first response to a key is stored and a
 * repeat of the request gets it back, changing nothing. Keys are scoped to the user and the
 * operation and stored as a SHA-256 hash, so any header text (NUL included) makes a valid key.
 * Concurrent repeats wait for the first one; only settled outcomes (< 500) are remembered.
 */
import { createHash } from 'node:crypto';
import type { EventStore, StoredResponse } from '../store/eventStore.js';
import { HttpError } from './context.js';

const MAX_KEY_LENGTH = 255;

export class Idempotency {
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(private readonly store: EventStore) {}

  /** The stored key for a header value, or undefined without one; 400 when it is too long. */
  static key(
    user: string,
    scope: string,
    header: string | string[] | undefined,
  ): string | undefined {
    if (header === undefined) return undefined;
    if (Array.isArray(header)) throw new HttpError(400, 'send one Idempotency-Key');
    if (header.length === 0) return undefined;
    if (header.length > MAX_KEY_LENGTH)
      throw new HttpError(400, `Idempotency-Key must be at most ${MAX_KEY_LENGTH} characters`);
    return createHash('sha256')
      .update(JSON.stringify([user, scope, header]))
      .digest('hex');
  }

  /** Run `fn` once per key; returns its response (or the stored one, marked as a replay). */
  async run(
    key: string | undefined,
    fn: () => Promise<StoredResponse>,
  ): Promise<{ response: StoredResponse; replayed: boolean }> {
    if (!key) return { response: await fn(), replayed: false };
    while (this.inflight.has(key)) await this.inflight.get(key)!.catch(() => undefined);
    const stored = await this.store.getIdempotent(key);
    if (stored) return { response: stored, replayed: true };
    const work = fn();
    this.inflight.set(key, work);
    try {
      const response = await work;
      const kept = response.status < 500 ? await this.store.putIdempotent(key, response) : response;
      return { response: kept, replayed: false };
    } finally {
      this.inflight.delete(key);
    }
  }
}
