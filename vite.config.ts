import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { readFileSync } from 'node:fs';

// A build is always a production build, whatever NODE_ENV the caller has (vitest sets
// 'test'): Lit and Workbox otherwise ship their development code and logging.
if (process.env.NODE_ENV !== 'production' && process.argv.includes('build')) process.env.NODE_ENV = 'production';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

// The PWA lives in pwa/ and builds to dist/pwa, which the sync service serves on its own port.
export default defineConfig({
  root: 'pwa',
  publicDir: 'public',
  // Lit's production build whatever NODE_ENV the caller has (vitest sets 'test').
  resolve: { conditions: ['module', 'browser', 'production'] },
  define: {
    __APP_VERSION__: JSON.stringify(pkg.version),
  },
  build: {
    outDir: '../dist/pwa',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // The passphrase strength dictionaries (zxcvbn-ts, lazily loaded, not precached) are one large chunk by design.
    chunkSizeWarningLimit: 2000,
    // No modulepreload polyfill nor preload links: a lazy chunk imports only the start
    // chunk (already loaded), and the service worker serves every chunk from its cache.
    modulePreload: false,
    rolldownOptions: {
      // protocol/ is pure (no top-level effects): an `export *` in its index.ts then does
      // not drag a module only a lazy chunk uses (the key-file code) into the start chunk.
      treeshake: { moduleSideEffects: (id: string) => !/[\\/]protocol[\\/]src[\\/]/.test(id) },
      output: {
        // Password-strength dictionaries, for the passphrase screens only, in chunks of this
        // name: not precached (below) and so not counted by the JS budget (scripts/bundle-size.ts).
        codeSplitting: { groups: [{ name: 'strength-dictionaries', test: /node_modules[\\/]@zxcvbn-ts[\\/]language-/ }] },
      },
    },
  },
  server: {
    proxy: {
      '/api': { target: 'http://127.0.0.1:8080', ws: true },
      '/healthz': 'http://127.0.0.1:8080',
    },
  },
  plugins: [
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      // Updates wait for the user's consent: a new version never takes over a page
      // in the middle of an IndexedDB upgrade (THREATS W1).
      registerType: 'prompt',
      injectRegister: false,
      manifest: {
        name: 'MessageHub',
        short_name: 'MessageHub',
        description: 'End-to-end encrypted messages that work offline',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#10141a',
        theme_color: '#1f6feb',
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      // Each asset once: the plugin adds manifest.webmanifest itself, and the icons come from the glob.
      includeManifestIcons: false,
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,png,svg,wasm}'],
        // The passphrase strength dictionaries (strength-dictionaries.ts) load only on the screens that ask for a new passphrase.
        globIgnores: ['**/strength-dictionaries-*.js'],
      },
    }),
  ],
});
