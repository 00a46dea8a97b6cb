// Every SQL statement of the repositories, one folder per repository (sql/<repository>/<name>.sql),
// read and minified once when the service's modules load, as in pg-promise-demo's db/sql: a
// missing, unreadable or unparsable file, or a file no repository names, stops the start
// with the file's path instead of failing a request later.
import pgPromise, { type QueryFile } from 'pg-promise';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The files of each repository folder; the object below has the same names in camelCase. */
const LAYOUT = {
  'account-challenges': ['insert', 'consume', 'state', 'prune'],
  blobs: ['create', 'find', 'stored-indexes', 'put-chunk', 'get-chunk', 'complete', 'collect'],
  blocks: ['insert', 'delete', 'list', 'blocked-by-any'],
  challenges: ['insert', 'consume', 'state', 'prune'],
  conversations: ['list', 'is-member', 'exists', 'member-pks', 'notify-typing'],
  'device-links': ['create', 'prune', 'find', 'post-handover', 'state', 'take'],
  devices: ['insert-certificate', 'certificates', 'insert-revocation', 'revocations', 'is-revoked', 'revoke-sessions'],
  'epoch-archive': ['upsert', 'list', 'certified-session'],
  health: ['schema-version'],
  'key-resets': ['insert', 'close-stale', 'recent', 'pending', 'cancel', 'complete'],
  keys: ['history', 'append'],
  'push-subscriptions': ['upsert', 'delete-session', 'delete-endpoint', 'targets'],
  log: ['append-messages', 'append-epoch', 'page', 'page-member', 'page-feed', 'member-cursors', 'member-window'],
  'rate-limits': ['hit', 'prune'],
  sessions: ['insert', 'authenticate', 'touch', 'is-live', 'live-of', 'list', 'revoke', 'revoke-all'],
  users: ['insert', 'find', 'find-by-pk', 'find-many'],
} as const;

type Camel<S extends string> = S extends `${infer A}-${infer B}` ? `${A}${Capitalize<Camel<B>>}` : S;
type Layout = typeof LAYOUT;

/** `sql.log.appendMessages` is sql/log/append-messages.sql. */
export type SqlFiles = {
  readonly [R in keyof Layout as Camel<R>]: { readonly [N in Layout[R][number] as Camel<N>]: QueryFile };
};

export class SqlFileError extends Error {
  constructor(readonly file: string, reason: string) {
    super(`SQL file ${file}: ${reason}`);
    this.name = 'SqlFileError';
  }
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

export const SQL_ROOT = path.dirname(fileURLToPath(import.meta.url));

/** Read every file of LAYOUT under `root`; throws a SqlFileError naming the first bad file. */
export function loadSql(root: string = SQL_ROOT): SqlFiles {
  const out: Record<string, Record<string, QueryFile>> = {};
  for (const [repository, names] of Object.entries(LAYOUT) as [string, readonly string[]][]) {
    const dir = path.join(root, repository);
    let present: string[];
    try {
      present = readdirSync(dir).filter((f) => f.endsWith('.sql'));
    } catch {
      throw new SqlFileError(dir, 'the folder is missing');
    }
    for (const f of present) {
      if (!names.includes(f.slice(0, -4))) throw new SqlFileError(path.join(dir, f), 'no repository uses it (list it in LAYOUT, sync-service/src/db/sql/index.ts, or delete it)');
    }
    const files: Record<string, QueryFile> = {};
    for (const name of names) {
      const file = path.join(dir, `${name}.sql`);
      const query = new pgPromise.QueryFile(file, { minify: true, noWarnings: true });
      if (query.error) throw new SqlFileError(file, query.error.message.split('\n')[0] ?? 'cannot be read');
      files[camel(name)] = query;
    }
    out[camel(repository)] = files;
  }
  return out as unknown as SqlFiles;
}

/** Loaded once, when the repositories are imported (so at start). */
export const sql: SqlFiles = loadSql();
