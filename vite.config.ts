import { defineConfig, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import minifyHtmlLiterals from '@lit-labs/rollup-plugin-minify-html-literals';
import { defaultMinifyOptions } from '@lit-labs/rollup-plugin-minify-html-literals/lib/strategy.js';
import { readFileSync } from 'node:fs';

// A build is always a production build, whatever NODE_ENV the caller has (vitest sets
// 'test'): Lit and Workbox otherwise ship their development code and logging.
if (process.env.NODE_ENV !== 'production' && process.argv.includes('build')) process.env.NODE_ENV = 'production';

/**
 * Vite wraps every dynamic import() in its preload helper (`__vitePreload`, ~0.6 KB gzip in
 * the start chunk) to add <link> tags for the imported chunk's deps. With `modulePreload:
 * false` the only deps left are CSS, and the only CSS is the start chunk's stylesheet, which
 * index.html has already loaded: so the helper only ever calls the import, and is replaced by
 * exactly that. The build fails if a dynamic import ever needs any other dep (a lazy chunk
 * with its own CSS), which this helper would drop.
 */
const PRELOAD_HELPER = '\0vite/preload-helper.js';
const noPreloadHelper: Plugin = {
  name: 'mh-no-preload-helper',
  apply: 'build',
  enforce: 'pre',
  resolveId: (id) => (id === PRELOAD_HELPER ? id : null),
  load: (id) => (id === PRELOAD_HELPER ? 'export const __vitePreload = (load) => load();' : null),
  generateBundle: {
    order: 'post',
    handler(_options, bundle) {
      const startCss = new Set<string>();
      for (const c of Object.values(bundle)) if (c.type === 'chunk' && c.isEntry) for (const css of c.viteMetadata?.importedCss ?? []) startCss.add(css);
      for (const c of Object.values(bundle)) {
        if (c.type !== 'chunk') continue;
        for (const m of c.code.matchAll(/__vite__mapDeps=.*?m\.f=(\[[^\]]*\])/g)) {
          const other = (JSON.parse(m[1]!) as string[]).filter((d) => !startCss.has(d));
          if (other.length) this.error(`${c.fileName}: dynamic imports need ${other.join(', ')}, which the no-preload-helper plugin (vite.config.ts) would not load`);
        }
      }
    },
  },
};

/**
 * Lit's html`` and css`` templates minified at build time (Lit's own plugin: html-minifier-next
 * for markup, lightningcss for styles): the indentation and comments of every template
 * otherwise ship as they are written. `conservativeCollapse` keeps one space wherever the
 * source had whitespace, so text next to a binding reads the same; a template it cannot
 * minify fails the build rather than ship unminified.
 */
const minifyTemplates: Plugin = {
  ...(minifyHtmlLiterals({
    include: ['**/pwa/src/**/*.ts'],
    failOnError: true,
    options: { minifyOptions: { ...defaultMinifyOptions, conservativeCollapse: true } },
  }) as unknown as Plugin),
  apply: 'build',
  enforce: 'pre',
};

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
        // Everything index.html imports statically in one chunk (`$initial`): by default the
        // protocol's wire code, rules and purposes were chunks of their own, each gzipped apart
        // and linked by exported names. Two groups of small lazy modules, each a chunk of its
        // own by default, share one chunk (every chunk is precached, so this only changes how
        // the bytes are split; gzip of one file is smaller than of several): the key-file
        // operations with device linking, and display names, search and restore (with the
        // warning words restore shows). The online chunk is online.ts and what it imports (the
        // attachment code too: a chunk of its own before, which the online chunk imported
        // statically for the outbox's uploads, so always loaded with it), and also the
        // protocol modules it shares with lazy screens (attachment references, device
        // certificates): out of the start chunk since opening messages moved there, they were
        // otherwise two small chunks of their own. Higher priority first: the start and the
        // dictionaries keep their modules.
        codeSplitting: {
          groups: [
            { name: 'strength-dictionaries', test: /node_modules[\\/]@zxcvbn-ts[\\/]language-/, priority: 20 },
            { name: 'start', tags: ['$initial'], priority: 10 },
            { name: 'online', test: /(pwa[\\/]src[\\/]services[\\/]online|protocol[\\/]src[\\/](attachment-ref|device))\.ts$/, priority: 1 },
            { name: 'keyfile-ops', test: /pwa[\\/]src[\\/]services[\\/](keyfile-ops|link)\.ts$/, priority: 1 },
            { name: 'on-demand', test: /pwa[\\/]src[\\/]services[\\/](names|search|search-text|restore|restore-flow)\.ts$/, priority: 1 },
          ],
        },
      },
    },
  },
  // The crypto workers (pwa/src/workers/crypto-worker.ts) are module workers: one small file each.
  worker: { format: 'es' },
  server: {
    proxy: {
      '/api': { target: 'http://127.0.0.1:8080', ws: true },
      '/healthz': 'http://127.0.0.1:8080',
    },
  },
  plugins: [
    minifyTemplates,
    noPreloadHelper,
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
