// `npm start`: build the app if needed, start (or reach) Postgres, migrate, serve app and API on one port.
import { loadConfig } from '../sync-service/src/config.ts';
import { buildIfStale } from './build-if-stale.ts';
import { exitOnFailure, serve } from './serve.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  buildIfStale(config.staticDir);
  const { database, service } = await serve(config, { what: 'MessageHub' });
  console.log(`MessageHub is running at ${service.url} (database: ${database.embedded ? `embedded, in ${config.dataDir}` : 'DATABASE_URL'})`);
}

main().catch(exitOnFailure('messagehub'));
