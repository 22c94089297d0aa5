import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const target = process.env.CONCORD_SERVER ?? 'http://localhost:8080';

export default defineConfig({
  plugins: [react()],
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
