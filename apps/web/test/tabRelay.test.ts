import { afterEach, describe, expect, it } from 'vitest';
import { HybridClock, type SessionUser } from '@concord/shared';
import { MemoryStorage } from '../src/storage/memoryStorage';
import { DocSession, type SessionDeps } from '../src/sync/docSession';
import { createOnlineManager } from '../src/sync/onlineManager';

class NoSocket {
  onopen = null;
  onclose = null;
  onerror = null;
  onmessage = null;
  readyState = 0;
  send() {}
  close() {}
}

const sessions: DocSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.destroy();
});

function deps(storage: MemoryStorage, user: Partial<SessionUser> = {}): SessionDeps {
  const online = createOnlineManager({
    events: new EventTarget(),
    navigatorOnline: () => false,
    probe: async () => false,
  });
  online.setOnline(false);
  return {
    storage,
    online,
    clock: new HybridClock({ replicaId: `t-${Math.random()}` }),
    user: { id: 'alice', name: 'Alice', role: 'editor', ...user },
    auth: { token: () => '', refresh: async () => false, subscribe: () => () => undefined },
    wsUrl: 'ws://localhost:1',
    WebSocketPolyfill: NoSocket as unknown as typeof WebSocket,
  };
}

describe('edits relayed between tabs', () => {
  it('an edit made in tab A is stored and counted as unsaved by tab B too', async () => {
    const storage = new MemoryStorage();
    const a = await DocSession.open('product:relay', deps(storage));
    const b = await DocSession.open('product:relay', deps(storage));
    sessions.push(a, b);
    // A first edit (its structs start at clock 0), then a second one (they do not).
    expect(a.edit({ name: 'First' })).toEqual([]);
    await expect.poll(() => b.store.getState().unsaved, { timeout: 2_000 }).toBeGreaterThan(0);
    expect(a.edit({ name: 'From tab A' })).toEqual([]);
    await expect.poll(() => String(b.doc.getMap('r:name').size), { timeout: 2_000 }).not.toBe('0');
    await expect.poll(() => b.store.getState().unsaved, { timeout: 2_000 }).toBe(2);
    expect(b.store.getState().status).toMatch(/unsaved change/);
  });
});
