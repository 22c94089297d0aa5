import { afterEach, describe, expect, it, vi } from 'vitest';
import { createOnlineManager, type OnlineManager } from '../src/sync/onlineManager';

let manager: OnlineManager | undefined;
afterEach(() => manager?.destroy());

describe('onlineManager', () => {
  it('goes offline at once on the offline event and back after a successful probe', async () => {
    const events = new EventTarget();
    let up = true;
    manager = createOnlineManager({
      events,
      navigatorOnline: () => true,
      probe: async () => up,
      intervalMs: 10_000,
    });
    const seen: boolean[] = [];
    manager.subscribe((o) => seen.push(o));
    expect(manager.isOnline()).toBe(true);
    events.dispatchEvent(new Event('offline'));
    expect(manager.isOnline()).toBe(false);
    events.dispatchEvent(new Event('online'));
    await vi.waitFor(() => expect(manager?.isOnline()).toBe(true));
    up = false;
    manager.check();
    await vi.waitFor(() => expect(manager?.isOnline()).toBe(false));
    expect(seen).toEqual([false, true, false]);
  });

  it('retries a failing probe with backoff until the server answers', async () => {
    let calls = 0;
    manager = createOnlineManager({
      events: new EventTarget(),
      navigatorOnline: () => true,
      probe: async () => ++calls >= 3,
      maxRetryMs: 20,
      random: () => 0.5,
    });
    const seen: boolean[] = [];
    manager.subscribe((o) => seen.push(o));
    // Assumed reachable at start; the first failed probe says offline, the third probe succeeds.
    await vi.waitFor(() => expect(seen).toEqual([false, true]), { timeout: 2000 });
    expect(calls).toBe(3);
  });

  it('can be forced (tests, "work offline")', () => {
    manager = createOnlineManager({
      events: new EventTarget(),
      navigatorOnline: () => true,
      probe: async () => true,
    });
    manager.setOnline(false);
    expect(manager.isOnline()).toBe(false);
    manager.setOnline(undefined);
    expect(manager.isOnline()).toBe(true);
  });
});
