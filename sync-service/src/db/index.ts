import pgPromise, { type IDatabase, type IMain } from 'pg-promise';
import { attachRepositories, type Repositories } from './repositories.ts';

export type Database = IDatabase<Repositories> & Repositories;

export interface DatabaseHandle {
  /** The connection string, for connections outside the pool (LISTEN). */
  url: string;
  db: Database;
  pgp: IMain;
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
  const db = pgp({ connectionString: url, max: options.poolSize ?? 20 }) as Database;
  // An idle connection that Postgres closes (restart, shutdown) must not crash the
  // service: the pool drops it and the next query opens a new one.
  db.$pool.on('error', () => {});
  return {
    url,
    db,
    pgp,
    async close() {
      await db.$pool.end();
    },
  };
}
