// `npm run dev`: the PWA from Vite's dev server (hot reload, no build), the API from the sync
// service started here as `npm start` would (embedded Postgres or DATABASE_URL, migrations).
// Vite proxies /api (the WebSocket included) to the service, so the page and the API share
// one origin, as in production. The service must accept that origin for logins and the
// WebSocket: it is added to ORIGINS.
//
//   VITE_PORT (default 5173): the page, http://localhost:5173
//   PORT      (default 8080): the service, as for `npm start`
import { createServer as createViteServer, type ViteDevServer } from 'vite';
import { loadConfig } from '../sync-service/src/config.ts';
import { exitOnFailure, serve } from './serve.ts';

async function main(): Promise<void> {
  const vitePort = Number(process.env.VITE_PORT ?? 5173);
  const base = loadConfig();
  const origins = [...new Set([...base.origins, `http://localhost:${vitePort}`, `http://127.0.0.1:${vitePort}`])];
  const config = { ...base, origins };

  const dev: { vite?: ViteDevServer } = {};
  const { service } = await serve(config, {
    beforeStop: async () => {
      await dev.vite?.close().catch((e: Error) => console.error(`error while stopping Vite: ${e.message}`));
    },
  });
  const target = `http://127.0.0.1:${service.server.info.port}`;
  // The inline settings are merged into vite.config.ts: its proxy entries point at the port
  // the service really listens on.
  const vite = await createViteServer({
    configFile: new URL('../vite.config.ts', import.meta.url).pathname,
    server: {
      port: vitePort,
      strictPort: true,
      proxy: {
        '/api': { target, ws: true },
        '/healthz': target,
      },
    },
  });
  dev.vite = vite;
  await vite.listen();
  console.log(`MessageHub (dev) at http://localhost:${vitePort} — API: ${service.url}`);
}

main().catch(exitOnFailure('messagehub dev'));
