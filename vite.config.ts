/**
 * The dashboard's build (src/web → dist/web, served by the controller at /ui/). Preact's JSX
 * through esbuild; the typed client's transport (lib/http.ts, node:http) is swapped for its
 * fetch twin (src/web/http.ts). No CDN: everything is in the bundle.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('./src/web'),
  base: '/ui/',
  build: { outDir: here('./dist/web'), emptyOutDir: true, sourcemap: true },
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  resolve: { alias: [{ find: /^\.\.\/lib\/http\.js$/, replacement: here('./src/web/http.ts') }] },
});
