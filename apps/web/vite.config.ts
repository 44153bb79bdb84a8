import { defineConfig } from 'vite';

// The browser app. `npm run build` writes it to dist/web, which the API serves at / (apps/api/src/http/web-app.ts).
// In development, `npm run web:dev` serves it with hot reload and proxies the API (npm start, port 3000).
const root = decodeURIComponent(new URL('.', import.meta.url).pathname);
const api = process.env.REFERLOOP_API_URL ?? 'http://127.0.0.1:3000';

export default defineConfig(({ mode }) => ({
  root,
  base: '/',
  publicDir: `${root}public`,
  cacheDir: `${root}../../node_modules/.vite`,
  oxc: { jsx: { runtime: 'automatic', importSource: 'react', development: mode !== 'production' } },
  // Production React and JSX whatever NODE_ENV the shell has (jest sets "test", which would otherwise give development builds).
  define: { 'process.env.NODE_ENV': JSON.stringify(mode === 'production' ? 'production' : 'development') },
  build: {
    outDir: `${root}../../dist/web`,
    emptyOutDir: true,
    target: 'es2022',
    assetsDir: 'assets',
    sourcemap: false,
  },
  server: { proxy: { '/api': api, '/health': api } },
}));
