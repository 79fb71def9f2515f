// Vite builds the console into build/console (THEMIS_CONSOLE_OUT overrides;
// scripts/setup.sh passes the build directory's). `base: './'` makes every
// asset URL relative, so the console works under any path prefix a gateway
// puts in front of /console/. Hashed file names (Vite's default) let
// themisd serve assets/ as immutable.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const out = process.env.THEMIS_CONSOLE_OUT ||
  fileURLToPath(new URL('../build/console', import.meta.url));

export default defineConfig({
  base: './',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: out,
    emptyOutDir: true,
    assetsDir: 'assets',
    // no inline data: URLs for fonts or images: the CSP allows 'self' only
    assetsInlineLimit: 0,
    // the module preload polyfill is not needed by the browsers we target
    // and would be the one piece of script not in a file of ours
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1200,
  },
});
