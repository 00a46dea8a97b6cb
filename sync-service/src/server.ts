import Hapi from '@hapi/hapi';
import Inert from '@hapi/inert';
import { readFileSync } from 'node:fs';
import type { Config } from './config.ts';
import type { DatabaseHandle } from './db/index.ts';
import { errorsPlugin } from './plugins/errors/index.ts';
import { healthPlugin } from './plugins/health/index.ts';
import { staticPlugin } from './plugins/static/index.ts';

export interface ServerDependencies {
  database: DatabaseHandle;
}

declare module '@hapi/hapi' {
  interface ServerApplicationState {
    config: Config;
    database: DatabaseHandle;
  }
}

/**
 * Build the whole service without listening: tests call `server.initialize()`
 * and `server.inject()`; start.ts calls `server.start()`.
 */
export async function createServer(config: Config, deps: ServerDependencies): Promise<Hapi.Server> {
  const server = Hapi.server({
    host: config.host,
    port: config.port,
    tls: config.tls
      ? { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) }
      : undefined,
    routes: {
      payload: { maxBytes: config.maxRequestBytes },
      // The JSON error shape is produced by the errors plugin; validation failures reach it as Boom errors.
      validate: {
        failAction: async (_request, _h, error) => {
          throw error;
        },
      },
    },
    router: { stripTrailingSlash: true },
  });
  server.app.config = config;
  server.app.database = deps.database;

  await server.register(Inert);
  await server.register([
    { plugin: errorsPlugin },
    { plugin: healthPlugin },
    { plugin: staticPlugin, options: { dir: config.staticDir } },
  ]);
  return server;
}
