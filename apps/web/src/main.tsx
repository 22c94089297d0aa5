import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createAuthStore } from './stores/authStore';
import { createOnlineManager, defaultProbe } from './sync/onlineManager';
import { ServerTime } from './sync/serverTime';
import { App } from './ui/App';
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
  navigator.serviceWorker.register('/sw.js').catch((error: unknown) => {
    console.warn('service worker registration failed', error);
  });
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App auth={auth} online={online} serverTime={serverTime} />
  </StrictMode>,
);
