import { useEffect, useState } from 'react';
import { ApiClient, type AuthConfig } from '../api/client';
import type { AuthStore } from '../stores/authStore';
import { IdbStorage } from '../storage/idbStorage';
import { MemoryStorage } from '../storage/memoryStorage';
import type { OnlineManager } from '../sync/onlineManager';
import type { ServerTime } from '../sync/serverTime';
import { TokenRefresher } from '../sync/sessionAuth';
import { Workspace } from '../sync/workspace';
import { ChoosePassword, Setup } from './Setup';
import { SignIn } from './SignIn';
import { Shell } from './Shell';
import { StorageHealthMonitor } from '../storage/storageHealth';
import { useRoute, useVanilla } from './hooks';

const publicApi = new ApiClient(() => undefined);

/** How this server signs people in (setup needed? demo mode?), asked whenever online. */
function useAuthConfig(online: OnlineManager, signedIn: boolean): AuthConfig | undefined {
  const [config, setConfig] = useState<AuthConfig>();
  useEffect(() => {
    let cancelled = false;
    const load = () =>
      publicApi.authConfig().then(
        (c) => !cancelled && setConfig(c),
        () => undefined, // offline: the saved sign-in (if any) carries on
      );
    void load();
    const unsubscribe = online.subscribe((up) => up && void load());
    return () => {
      cancelled = true;
      unsubscribe();
    };
  }, [online, signedIn]);
  return config;
}

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
  const mode = useVanilla(auth.store, (s) => s.mode);
  const signedInAt = useVanilla(auth.store, (s) => s.signedInAt);
  const signInNeeded = useVanilla(auth.store, (s) => s.signInNeeded);
  const route = useRoute();
  const config = useAuthConfig(online, user !== undefined);
  const [workspace, setWorkspace] = useState<Workspace>();
  const [signingInAgain, setSigningInAgain] = useState(false);

  // One workspace per sign-in of a person in a role: a renewed session does not rebuild it; a new
  // role (read-only editors for a viewer) or signing in again after the session ended does.
  useEffect(() => {
    if (!user) return;
    let cancelled = false;
    let ws: Workspace | undefined;
    setSigningInAgain(false);
    const refresher = new TokenRefresher(
      auth,
      new ApiClient(() => auth.store.getState().token, { user: () => user.id }),
      online,
    );
    void (async () => {
      // Each person's data lives in their own database: another person signing in on this
      // browser neither sees nor sends it.
      const health = new StorageHealthMonitor(navigator.storage);
      const storage = await IdbStorage.open(`concord-${user.id}`, {
        onReconnect: () => health.noteReconnect(),
      }).catch((error: unknown) => {
        console.warn('IndexedDB unavailable, keeping data in memory only', error);
        health.noteMemoryOnly();
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
        health,
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
  }, [user?.id, user?.role, signedInAt, auth, online, serverTime]);

  function signOut() {
    void publicApi.signOut().catch(() => undefined);
    auth.signOut();
  }

  const minPassword = config?.password.min ?? 8;
  if (route[0] === 'link') return <ChoosePassword auth={auth} minPassword={minPassword} />;
  if (!user) {
    // In demo mode the demo sign-in is the way in; accounts can still be set up by the link.
    if ((config?.setupRequired && !config.demo) || route[0] === 'setup')
      return <Setup auth={auth} minPassword={minPassword} />;
    return <SignIn auth={auth} config={config} />;
  }
  if (signInNeeded && signingInAgain) {
    return (
      <SignIn
        auth={auth}
        config={config}
        previous={user}
        unsaved={workspace?.unsavedTotal() ?? 0}
        onCancel={() => setSigningInAgain(false)}
      />
    );
  }
  if (!workspace) return <p className="loading">Opening your workspace…</p>;
  return (
    <Shell
      workspace={workspace}
      demo={mode === 'demo'}
      signInNeeded={signInNeeded}
      onSignInAgain={() => setSigningInAgain(true)}
      onSignOut={signOut}
    />
  );
}
