/**
 * Account changes every instance must hear about at once (SPEC ACC6): an account changed (role,
 * name, disabled, password) or a session was revoked. Each instance re-checks the open
 * connections of that user and closes what is no longer allowed. In-process here; Redis pub/sub
 * in scale-out (scale/redisAccountEvents.ts).
 */
export type AccountChange =
  | { readonly type: 'account'; readonly userId: string }
  | { readonly type: 'session'; readonly userId: string; readonly family: string };

export interface AccountEvents {
  /** Tells every instance, this one included (at once, even when the transport is down). */
  publish(change: AccountChange): Promise<void>;
  subscribe(listener: (change: AccountChange) => void): () => void;
  close(): Promise<void>;
}

export class InProcessAccountEvents implements AccountEvents {
  private readonly listeners = new Set<(change: AccountChange) => void>();

  async publish(change: AccountChange): Promise<void> {
    this.deliver(change);
  }

  /** Hands a change to this instance's listeners. */
  deliver(change: AccountChange): void {
    for (const listener of [...this.listeners]) listener(change);
  }

  subscribe(listener: (change: AccountChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}

/** A change as it travels between instances; undefined when the text is not one. */
export function parseChange(text: string): AccountChange | undefined {
  try {
    const c = JSON.parse(text) as Record<string, unknown>;
    if (typeof c.userId !== 'string') return undefined;
    if (c.type === 'account') return { type: 'account', userId: c.userId };
    if (c.type === 'session' && typeof c.family === 'string')
      return { type: 'session', userId: c.userId, family: c.family };
  } catch {
    // not JSON
  }
  return undefined;
}
