import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { VitePWA } from 'vite-plugin-pwa';

const target = process.env.CONCORD_SERVER ?? 'http://localhost:8080';

export default defineConfig({
  plugins: [
    react(),
    // The offline shell: a Workbox service worker with a precache manifest of the hashed build,
    // old caches purged, and a new version waiting until the person reloads (src/ui/UpdatePrompt).
    VitePWA({
      strategies: 'generateSW',
      registerType: 'prompt',
      injectRegister: false,
      manifest: false,
      workbox: {
        globPatterns: ['**/*.{js,css,html,svg,png,ico}'],
        navigateFallback: '/index.html',
        navigateFallbackDenylist: [/^\/api\//, /^\/healthz/, /^\/metrics/],
        cleanupOutdatedCaches: true,
        clientsClaim: true,
        skipWaiting: false,
      },
    }),
  ],
  build: { outDir: 'dist', sourcemap: true },
  server: {
    proxy: {
      '/api': { target },
      '/healthz': { target },
      // WebSocket document connections: /product:<id>, /profile:<id>
      '^/(product|profile)(:|%3A)': { target, ws: true },
    },
  },
});
