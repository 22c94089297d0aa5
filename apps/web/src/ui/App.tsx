import { useEffect, useState } from 'react';
import type { AuthStore } from '../stores/authStore';
import { IdbStorage } from '../storage/idbStorage';
import { MemoryStorage } from '../storage/memoryStorage';
import type { OnlineManager } from '../sync/onlineManager';
import { Workspace } from '../sync/workspace';
import { SignIn } from './SignIn';
import { Shell } from './Shell';
import { useVanilla } from './hooks';

export function App({ auth, online }: { auth: AuthStore; online: OnlineManager }) {
  const { token, user } = useVanilla(auth.store, (s) => s);
  const [workspace, setWorkspace] = useState<Workspace>();

  useEffect(() => {
    if (!token || !user) return;
    let cancelled = false;
    let ws: Workspace | undefined;
    void (async () => {
      const storage = await IdbStorage.open(`concord-${user.id}`).catch((error: unknown) => {
        console.warn('IndexedDB unavailable, keeping data in memory only', error);
        return new MemoryStorage();
      });
      if (cancelled) return storage.close();
      const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
      ws = new Workspace({ storage, online, user, token, wsUrl });
      await ws.start();
      if (!cancelled) setWorkspace(ws);
    })();
    return () => {
      cancelled = true;
      setWorkspace(undefined);
      void ws?.destroy().then(() => ws?.storage.close());
    };
  }, [token, user, online]);

  if (!token || !user) return <SignIn auth={auth} />;
  if (!workspace) return <p className="loading">Opening your workspace…</p>;
  return <Shell workspace={workspace} onSignOut={() => auth.signOut()} />;
}
