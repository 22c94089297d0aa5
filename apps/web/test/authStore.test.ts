import { describe, expect, it, vi } from 'vitest';
import { ApiClient, ApiError } from '../src/api/client';
import { createAuthStore } from '../src/stores/authStore';
import type { OnlineManager } from '../src/sync/onlineManager';
import { TokenRefresher } from '../src/sync/sessionAuth';

function memoryStorage() {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
    removeItem: (k: string) => void data.delete(k),
  };
}

const ann = { id: 'u-ann', name: 'Ann', role: 'editor' as const };
const online: OnlineManager = {
  isOnline: () => true,
  subscribe: () => () => undefined,
  check: () => undefined,
  setOnline: () => undefined,
} as unknown as OnlineManager;

describe('auth store', () => {
  it('keeps an account session without any token, and survives a reload', () => {
    const storage = memoryStorage();
    const auth = createAuthStore(storage);
    auth.signedIn(ann, { accessExpiresAt: 123 });
    expect(storage.data.get('concord.auth')).not.toMatch(/token":"/);
    const again = createAuthStore(storage);
    expect(again.store.getState()).toMatchObject({ user: ann, mode: 'account', token: undefined });
  });

  it('a lost session keeps the person (their edits stay theirs) until they sign in again', () => {
    const auth = createAuthStore(memoryStorage());
    auth.signedIn(ann, { accessExpiresAt: 1 });
    const first = auth.store.getState().signedInAt;
    auth.sessionLost();
    expect(auth.store.getState()).toMatchObject({ user: ann, signInNeeded: true });
    // A renewal for someone else is ignored; one for the same person clears the flag.
    auth.refreshed({ ...ann, id: 'u-bob' }, { accessExpiresAt: 2 });
    expect(auth.store.getState().signInNeeded).toBe(true);
    auth.refreshed({ ...ann, role: 'viewer' }, { accessExpiresAt: 3 });
    expect(auth.store.getState()).toMatchObject({ signInNeeded: false, user: { role: 'viewer' } });
    expect(auth.store.getState().signedInAt).toBe(first);
    auth.signOut();
    expect(auth.store.getState().user).toBeUndefined();
  });
});

describe('session refresher', () => {
  it('renews the cookie session and publishes the new role; a 401 marks the session lost', async () => {
    const auth = createAuthStore(memoryStorage());
    auth.signedIn(ann, { accessExpiresAt: Date.now() + 600_000 });
    const api = new ApiClient(() => undefined);
    const renew = vi
      .spyOn(api, 'refreshSession')
      .mockResolvedValueOnce({
        user: { ...ann, role: 'viewer' },
        accessExpiresAt: Date.now() + 600_000,
      })
      .mockRejectedValueOnce(new ApiError(401, 'this session was signed out'));
    const refresher = new TokenRefresher(auth, api, online);
    expect(await refresher.refresh()).toBe(true);
    expect(auth.store.getState().user?.role).toBe('viewer');
    expect(refresher.token()).toBe('');
    expect(await refresher.refresh()).toBe(false);
    expect(auth.store.getState().signInNeeded).toBe(true);
    expect(renew).toHaveBeenCalledTimes(2);
    refresher.destroy();
  });

  it('a network failure is not a lost session', async () => {
    const auth = createAuthStore(memoryStorage());
    auth.signedIn(ann, { accessExpiresAt: Date.now() + 600_000 });
    const api = new ApiClient(() => undefined);
    vi.spyOn(api, 'refreshSession').mockRejectedValueOnce(new TypeError('Failed to fetch'));
    const refresher = new TokenRefresher(auth, api, online);
    expect(await refresher.refresh()).toBe(false);
    expect(auth.store.getState().signInNeeded).toBe(false);
    refresher.destroy();
  });

  it('the API client renews once on a 401 and retries the call', async () => {
    let calls = 0;
    const fetchImpl = (async () => {
      calls++;
      return new Response(calls === 1 ? '{"error":"token expired"}' : '[]', {
        status: calls === 1 ? 401 : 200,
      });
    }) as typeof fetch;
    const renew = vi.fn(async () => true);
    const api = new ApiClient(() => undefined, { fetchImpl, renew });
    expect(await api.listDocs('product')).toEqual([]);
    expect(renew).toHaveBeenCalledTimes(1);
    expect(calls).toBe(2);
  });
});
