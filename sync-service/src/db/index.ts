import pgPromise, { type IDatabase, type IMain } from 'pg-promise';
import { isMultiHost, locatedClientClass, parseDatabaseUrl, PrimaryLocator, type ClientClass } from '../../../db/multi-host.ts';
import { attachRepositories, type Repositories } from './repositories.ts';

export type Database = IDatabase<Repositories> & Repositories;

export interface DatabaseHandle {
  /** The connection string, for connections outside the pool (LISTEN). */
  url: string;
  db: Database;
  /**
   * Where history reads (POST /sync, GET …/log) may go: a pool on the standbys named by
   * DATABASE_READ_URL, or null. services/history-reader.ts decides, per request, whether
   * the standby has replayed enough to answer it.
   */
  reader: Database | null;
  pgp: IMain;
  /**
   * The pg.Client class for connections outside the pool (LISTEN): with a multi-host URL
   * it connects to the server that takes writes now (db/multi-host.ts), else pg.Client.
   */
  Client: ClientClass;
  close(): Promise<void>;
}

/** One pg-promise instance and one pool per service instance; repositories are attached in `extend`. */
export function openDatabase(url: string, options: { poolSize?: number; readUrl?: string } = {}): DatabaseHandle {
  const pgp: IMain = pgPromise({
    extend(obj: any) {
      attachRepositories(obj, pgp);
    },
  });
  // BIGINT (int8) columns such as sequence numbers fit in a JS number for this service's lifetime.
  pgp.pg.types.setTypeParser(20, (value: string) => Number(value));
  const max = options.poolSize ?? 20;
  // application_name tells the pools apart in pg_stat_activity (and for pg-promise).
  const pool = (target: string, application_name: string): { db: Database; Client: ClientClass } => {
    let db: Database;
    let Client = pgp.pg.Client as unknown as ClientClass;
    const parsed = parseDatabaseUrl(target);
    if (isMultiHost(target) || parsed.target !== 'any') {
      // Several hosts (a primary and its standbys): every new pool connection goes to the
      // server the URL asks for (the current primary for writes), found and re-checked by
      // a locator; after a failover the dead connections leave the pool and new ones
      // find the promoted standby.
      Client = locatedClientClass(new PrimaryLocator(parsed));
      db = pgp({ Client, max, keepAlive: true, connectionTimeoutMillis: 5000, application_name } as any) as Database;
    } else {
      db = pgp({ connectionString: target, max, application_name }) as Database;
    }
    // An idle connection that Postgres closes (restart, shutdown) must not crash the
    // service: the pool drops it and the next query opens a new one.
    db.$pool.on('error', () => {});
    return { db, Client };
  };
  const { db, Client } = pool(url, 'messagehub');
  const reader = options.readUrl ? pool(options.readUrl, 'messagehub-history').db : null;
  return {
    url,
    db,
    reader,
    pgp,
    Client,
    async close() {
      await Promise.all([db.$pool.end(), reader?.$pool.end()]);
    },
  };
}
