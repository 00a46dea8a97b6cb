import pgPromise, { type IDatabase, type IMain } from 'pg-promise';
import { isMultiHost, locatedClientClass, parseDatabaseUrl, PrimaryLocator, type ClientClass } from '../../../db/multi-host.ts';
import { attachRepositories, type Repositories } from './repositories.ts';

export type Database = IDatabase<Repositories> & Repositories;

export interface DatabaseHandle {
  /** The connection string, for connections outside the pool (LISTEN). */
  url: string;
  db: Database;
  pgp: IMain;
  /**
   * The pg.Client class for connections outside the pool (LISTEN): with a multi-host URL
   * it connects to the server that takes writes now (db/multi-host.ts), else pg.Client.
   */
  Client: ClientClass;
  close(): Promise<void>;
}

/** One pg-promise instance and one pool per service instance; repositories are attached in `extend`. */
export function openDatabase(url: string, options: { poolSize?: number } = {}): DatabaseHandle {
  const pgp: IMain = pgPromise({
    extend(obj: any) {
      attachRepositories(obj, pgp);
    },
  });
  // BIGINT (int8) columns such as sequence numbers fit in a JS number for this service's lifetime.
  pgp.pg.types.setTypeParser(20, (value: string) => Number(value));
  const max = options.poolSize ?? 20;
  let Client = pgp.pg.Client as unknown as ClientClass;
  let db: Database;
  if (isMultiHost(url) || parseDatabaseUrl(url).readWrite) {
    // Several hosts (a primary and its standbys): every new pool connection goes to the
    // current primary, found and re-checked by a PrimaryLocator; after a failover the
    // dead connections leave the pool and new ones find the promoted standby.
    Client = locatedClientClass(new PrimaryLocator(parseDatabaseUrl(url)));
    db = pgp({ Client, max, keepAlive: true, connectionTimeoutMillis: 5000 } as any) as Database;
  } else {
    db = pgp({ connectionString: url, max }) as Database;
  }
  // An idle connection that Postgres closes (restart, shutdown) must not crash the
  // service: the pool drops it and the next query opens a new one.
  db.$pool.on('error', () => {});
  return {
    url,
    db,
    pgp,
    Client,
    async close() {
      await db.$pool.end();
    },
  };
}
