import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createAuthStore } from './stores/authStore';
import { createOnlineManager, defaultProbe } from './sync/onlineManager';
import { ServerTime } from './sync/serverTime';
import { registerSW } from 'virtual:pwa-register';
import { appUpdate } from './sync/appUpdate';
import { App } from './ui/App';
import { UpdatePrompt } from './ui/UpdatePrompt';
import './ui/styles.css';

const auth = createAuthStore(window.localStorage, window);
const serverTime = new ServerTime(window.localStorage);
const online = createOnlineManager({
  probe: defaultProbe('/healthz', 2500, (date, sentAt, receivedAt) =>
    serverTime.observe(date, sentAt, receivedAt),
  ),
});
// Test and debugging hook: `window.concord.online.setOnline(false)`.
(window as unknown as { concord: unknown }).concord = { online };

// Ask the browser not to evict local data (best effort; the app works without it).
void navigator.storage?.persist?.().catch(() => false);

if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  // Registered at once (not on 'load') so the offline shell is ready as early as possible.
  const update = registerSW({
    immediate: true,
    onNeedRefresh: () => appUpdate.setState({ reload: () => void update(true) }),
    onOfflineReady: () => appUpdate.setState({ offlineReady: true }),
    onRegisterError: (error: unknown) => console.warn('service worker registration failed', error),
  });
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <UpdatePrompt />
    <App auth={auth} online={online} serverTime={serverTime} />
  </StrictMode>,
);
