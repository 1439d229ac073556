import { defineConfig } from 'vite';

// The dashboard is static files served by the engine at /; it reads data from /v1 only.
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  server: { proxy: { '/v1': 'http://127.0.0.1:3000' } },
});
