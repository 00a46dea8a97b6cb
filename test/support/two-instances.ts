// Two instances of the service on one test database, listening on ports (realtime tests: what
// one instance stores or relays reaches sockets on the other through Postgres), and users
// registered on the first: the first logged in on instance `a`, the others on `b`.
import type { Identity } from '../../protocol/src/index.ts';
import type { ServerDependencies } from '../../sync-service/src/server.ts';
import { identity, type Name } from './identities.ts';
import { login, register, startApp, type TestApp } from './service.ts';

export interface TwoInstances {
  a: TestApp;
  b: TestApp;
  /** In the order of `names`; `users[0]` logged in on `a`, the others on `b`. */
  users: Identity[];
  tokens: string[];
  /** Stops `b`, then `a`, and drops the database. */
  close(): Promise<void>;
}

export async function twoInstances(names: readonly Name[], deps?: Partial<ServerDependencies>): Promise<TwoInstances> {
  const a = await startApp({ listen: true, deps });
  const b = await startApp({ listen: true, testDb: a.testDb, deps });
  const users = await Promise.all(names.map((n) => identity(n)));
  for (const id of users) await register(a.server, id);
  const tokens: string[] = [];
  for (const [i, id] of users.entries()) tokens.push((await login((i === 0 ? a : b).server, id)).token);
  return {
    a, b, users, tokens,
    async close() {
      await b.stop();
      await a.close();
    },
  };
}
