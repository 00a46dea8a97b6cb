import type { Server } from '@hapi/hapi';
import { loadConfig, type Config } from './config.ts';
import { openDatabase, type DatabaseHandle } from './db/index.ts';
import { createServer } from './server.ts';

export interface RunningService {
  server: Server;
  url: string;
  stop(): Promise<void>;
}

export class PortInUseError extends Error {
  constructor(host: string, port: number) {
    super(`port ${port} on ${host} is already in use; stop the other process or set PORT`);
    this.name = 'PortInUseError';
  }
}

/** Open the pool, build the server and listen. The caller owns signals. */
export async function startService(config: Config, databaseUrl: string): Promise<RunningService> {
  const database: DatabaseHandle = openDatabase(databaseUrl, { readUrl: config.databaseReadUrl });
  const server = await createServer(config, { database });
  try {
    await server.start();
  } catch (error) {
    await database.close();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(config.host, config.port);
    throw error;
  }
  const shownHost = config.host === '0.0.0.0' || config.host === '127.0.0.1' ? 'localhost' : config.host;
  const url = `${server.info.protocol}://${shownHost}:${server.info.port}`;
  return {
    server,
    url,
    async stop() {
      // Let in-flight requests finish (appends are transactions), then close the pool.
      await server.stop({ timeout: 10_000 });
      await database.close();
    },
  };
}

// Run directly (DATABASE_URL required): `tsx sync-service/src/start.ts`. `npm start` uses scripts/start.ts.
if (import.meta.url === `file://${process.argv[1]}`) {
  const config = loadConfig();
  if (!config.databaseUrl) {
    console.error('DATABASE_URL is required to run the service alone; `npm start` starts an embedded Postgres');
    process.exit(1);
  }
  const service = await startService(config, config.databaseUrl);
  console.log(`MessageHub sync service listening on ${service.url}`);
  const shutdown = async () => {
    await service.stop();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
