/* Concord offline shell: cache-first for the app shell and built assets; /api, /healthz and
 * WebSocket traffic always go to the network. Plain script, no build step. */
const CACHE = 'concord-shell-v1';

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      const res = await fetch('/index.html', { cache: 'no-store' });
      const html = await res.clone().text();
      await cache.put('/index.html', res);
      // Precache the hashed assets index.html references.
      const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
      await cache.addAll([...new Set(assets)]);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
      await self.clients.claim();
    })(),
  );
});

function isShell(url) {
  return url.pathname === '/' || url.pathname === '/index.html';
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/') || url.pathname === '/healthz') return;
  if (req.mode === 'navigate' || isShell(url)) {
    // Shell: serve the cached copy at once, refresh it in the background.
    event.respondWith(
      (async () => {
        const cache = await caches.open(CACHE);
        const cached = await cache.match('/index.html');
        const refresh = fetch('/index.html', { cache: 'no-store' })
          .then(async (res) => {
            if (res.ok) await cache.put('/index.html', res.clone());
            return res;
          })
          .catch(() => undefined);
        if (cached) {
          event.waitUntil(refresh);
          return cached;
        }
        return (await refresh) ?? new Response('Offline', { status: 503 });
      })(),
    );
    return;
  }
  if (
    url.pathname.startsWith('/assets/') ||
    /\.(js|css|svg|png|ico|webmanifest)$/.test(url.pathname)
  ) {
    event.respondWith(
      (async () => {
        const cache = await caches.open(CACHE);
        const cached = await cache.match(req);
        if (cached) return cached;
        const res = await fetch(req);
        if (res.ok) await cache.put(req, res.clone());
        return res;
      })(),
    );
  }
});
