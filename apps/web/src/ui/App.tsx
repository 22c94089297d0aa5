import { useEffect, useState } from 'react';
import { ApiClient } from '../api/client';
import type { AuthStore } from '../stores/authStore';
import { IdbStorage } from '../storage/idbStorage';
import { MemoryStorage } from '../storage/memoryStorage';
import type { OnlineManager } from '../sync/onlineManager';
import type { ServerTime } from '../sync/serverTime';
import { TokenRefresher } from '../sync/sessionAuth';
import { Workspace } from '../sync/workspace';
import { SignIn } from './SignIn';
import { Shell } from './Shell';
import { useVanilla } from './hooks';

export function App({
  auth,
  online,
  serverTime,
}: {
  auth: AuthStore;
  online: OnlineManager;
  serverTime: ServerTime;
}) {
  const user = useVanilla(auth.store, (s) => s.user);
  const signedIn = useVanilla(auth.store, (s) => s.token !== undefined);
  const [workspace, setWorkspace] = useState<Workspace>();

  // One workspace per signed-in user; a refreshed token does not rebuild it.
  useEffect(() => {
    if (!signedIn || !user) return;
    let cancelled = false;
    let ws: Workspace | undefined;
    const refresher = new TokenRefresher(
      auth,
      new ApiClient(() => auth.store.getState().token),
      online,
    );
    void (async () => {
      const storage = await IdbStorage.open(`concord-${user.id}`).catch((error: unknown) => {
        console.warn('IndexedDB unavailable, keeping data in memory only', error);
        return new MemoryStorage();
      });
      if (cancelled) return storage.close();
      const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
      ws = new Workspace({
        storage,
        online,
        user,
        auth: refresher,
        wsUrl,
        now: () => serverTime.now(),
      });
      await ws.start();
      if (!cancelled) setWorkspace(ws);
    })();
    return () => {
      cancelled = true;
      refresher.destroy();
      setWorkspace(undefined);
      void ws?.destroy().then(() => ws?.storage.close());
    };
  }, [signedIn, user?.id, auth, online, serverTime]);

  if (!signedIn || !user) return <SignIn auth={auth} />;
  if (!workspace) return <p className="loading">Opening your workspace…</p>;
  return <Shell workspace={workspace} onSignOut={() => auth.signOut()} />;
}
