/**
 * Account changes between instances over Redis pub/sub (SPEC ACC6). A change is handed to this
 * instance's listeners at once and published for the others; an instance ignores its own messages.
 * Pub/sub keeps nothing for an instance that is away: the directory's short cache bounds how long
 * a missed change can go unnoticed (accounts/directory.ts).
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  InProcessAccountEvents,
  parseChange,
  type AccountChange,
  type AccountEvents,
} from '../accounts/accountEvents.js';

export class RedisAccountEvents implements AccountEvents {
  private readonly local = new InProcessAccountEvents();
  private readonly channel: string;

  constructor(
    private readonly redis: Redis,
    /** A connection of its own: a subscribed connection can do nothing else. */
    private readonly subscriber: Redis,
    private readonly instanceId: string,
    private readonly logger: Logger,
    prefix = 'concord:',
  ) {
    this.channel = `${prefix}accounts`;
  }

  async start(): Promise<void> {
    this.subscriber.on('message', (channel: string, text: string) => {
      if (channel !== this.channel) return;
      const tab = text.indexOf('\t');
      if (tab < 0 || text.slice(0, tab) === this.instanceId) return;
      const change = parseChange(text.slice(tab + 1));
      if (change) this.local.deliver(change);
    });
    await this.subscriber.subscribe(this.channel);
  }

  async publish(change: AccountChange): Promise<void> {
    this.local.deliver(change);
    await this.redis
      .publish(this.channel, `${this.instanceId}\t${JSON.stringify(change)}`)
      .catch((error: unknown) => this.logger.warn({ err: error }, 'account change not published'));
  }

  subscribe(listener: (change: AccountChange) => void): () => void {
    return this.local.subscribe(listener);
  }

  async close(): Promise<void> {
    await this.local.close();
  }
}
