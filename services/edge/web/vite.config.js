import { defineConfig } from 'vite';

// Relative asset URLs: the edge embeds dist/ and may mount it under any prefix.
export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
  },
  server: {
    // `npm run dev` against a running edge: FITVISION_EDGE_URL=http://127.0.0.1:8080
    proxy: Object.fromEntries(
      ['/videos', '/v1', '/api', '/session', '/sessions', '/docs', '/redoc', '/openapi.json'].map((p) => [
        p,
        { target: process.env.FITVISION_EDGE_URL ?? 'http://127.0.0.1:8080', changeOrigin: true },
      ]),
    ),
  },
});
