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

/**
 * The lazy screens in two chunks, not eight: the service worker precaches every chunk at
 * install, so splitting them finer saved nothing and cost bytes (each file gzipped apart,
 * with its own import/export glue): 120.4 → 117.5 KB gzip in all (session 7).
 * `welcome`: what a first visit needs before there is an account (sign-up, restore, the
 * passphrase and key-file code), so a first visit downloads no other screen. `screens`:
 * every other lazy screen, loaded once, the first time one is shown. Not here: the start
 * chunk, the online chunk (online.ts and what it imports), Argon2 (hash-wasm, only for key
 * files) and the strength dictionaries.
 */
const WELCOME_SCREENS = new RegExp(
  [
    String.raw`pwa[\\/]src[\\/]components[\\/](screens-welcome|mh-(onboarding|restore|restore-status|new-passphrase))\.ts$`,
    String.raw`pwa[\\/]src[\\/]services[\\/](strength|keyfile-ops|restore|restore-flow)\.ts$`,
    String.raw`pwa[\\/]src[\\/]stores[\\/]restore-state\.ts$`,
    String.raw`protocol[\\/]src[\\/](kdf|keyfile|identity-keyfile)\.ts$`,
  ].join('|'),
);
const LAZY_SCREENS = new RegExp(
  [
    String.raw`pwa[\\/]src[\\/]components[\\/](screens-[a-z-]+|mh-[a-z-]+)\.ts$`,
    String.raw`pwa[\\/]src[\\/]services[\\/](attachment-texts|typing|build-info|link|warning-texts|names|search-text|search)\.ts$`,
    String.raw`protocol[\\/]src[\\/](typing|link)\.ts$`,
    String.raw`node_modules[\\/](lean-qr|lit[\\/]directives)[\\/]`,
  ].join('|'),
);

/** protocol/ is pure (no top-level effects): a module of it that nothing uses is dropped whole. */
const protocolIsPure = (id: string): boolean => !/[\\/]protocol[\\/]src[\\/]/.test(id);

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
      treeshake: { moduleSideEffects: protocolIsPure },
      output: {
        // Password-strength dictionaries, for the passphrase screens only, in chunks of this
        // name: not precached (below) and so not counted by the JS budget (scripts/bundle-size.ts).
        // Everything index.html imports statically in one chunk (`$initial`): by default the
        // protocol's wire code, rules and purposes were chunks of their own, each gzipped apart
        // and linked by exported names. The online chunk is online.ts and what it imports (the
        // attachment code and the crypto pool too), and also the protocol modules it shares
        // with lazy screens (attachment references, device certificates). Then the lazy
        // screens, in two chunks (WELCOME_SCREENS, LAZY_SCREENS above). A group also takes
        // what its modules import unless a group of higher priority claimed it first: so
        // online comes before the screens, which import it.
        codeSplitting: {
          groups: [
            { name: 'strength-dictionaries', test: /node_modules[\\/]@zxcvbn-ts[\\/]language-/, priority: 20 },
            { name: 'start', tags: ['$initial'], priority: 10 },
            { name: 'online', test: /(pwa[\\/]src[\\/]services[\\/]online|protocol[\\/]src[\\/](attachment-ref|device))\.ts$/, priority: 3 },
            { name: 'welcome', test: WELCOME_SCREENS, priority: 2 },
            { name: 'screens', test: LAZY_SCREENS, priority: 1 },
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
        // The service worker's own build: the same rule, or it ships protocol modules it never
        // calls (typing signals, wire decoders) that come in through the protocol's index.
        rollupOptions: { treeshake: { moduleSideEffects: protocolIsPure } },
      },
    }),
  ],
});
