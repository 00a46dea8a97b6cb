// What `npm start` and `npm run dev` both do to bring the service up: start (or reach)
// Postgres, migrate, start the sync service, stop everything in order on SIGINT or SIGTERM,
// and report an expected failure (bad setting, busy port or data directory) in one line.
import { migrate } from '../db/migrate.ts';
import { ConfigError, type Config } from '../sync-service/src/config.ts';
import { startService, type RunningService } from '../sync-service/src/start.ts';
import { openDatabase, type OpenedDatabase } from './database.ts';
import { ensureVapidKeys, vapidKeysFile } from './vapid-keys.ts';

export interface Serving { database: OpenedDatabase; service: RunningService }

/**
 * Postgres, migrated, and the service on it. On a signal: `beforeStop` (what the caller
 * started on top, e.g. Vite), then the service, then Postgres; `what` names it in the log.
 */
export async function serve(config: Config, opts: { what?: string; beforeStop?: () => Promise<void> } = {}): Promise<Serving> {
  const database = await openDatabase();
  let service: RunningService | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping${opts.what ? ` ${opts.what}` : ''}…`);
    await opts.beforeStop?.();
    await service?.stop().catch((e: Error) => console.error(`error while stopping the service: ${e.message}`));
    await database.stop().catch((e: Error) => console.error(`error while stopping Postgres: ${e.message}`));
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  try {
    const { applied, version } = await migrate(database.url);
    if (applied.length) console.log(`migrated the database to schema version ${version}`);
    const push = ensureVapidKeys(config);
    if (push.created) console.log(`made a Web Push (VAPID) key pair, kept in ${vapidKeysFile(config)}`);
    service = await startService(push.config, database.url);
  } catch (error) {
    await database.stop();
    throw error;
  }
  return { database, service };
}

/** Print why `main` failed (one line when it is an expected failure, else the stack) and exit 1. */
export function exitOnFailure(prefix: string): (error: Error) => never {
  return (error) => {
    const expected = error instanceof ConfigError || ['PortInUseError', 'DataDirectoryInUseError', 'DataDirectoryUnreachableError', 'SchemaAheadError'].includes(error.name);
    console.error(`${prefix}: ${expected ? error.message : error.stack ?? error.message}`);
    process.exit(1);
  };
}
