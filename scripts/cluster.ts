// `npm run cluster -- up|down|url|state [--dir DIR] [--port BASE] [--standbys N] [--fast]`:
// a pg_auto_failover cluster on 127.0.0.1 (Debian: apt-get install -y postgresql-15-auto-failover):
// a monitor on BASE, a primary on BASE+1 and N synchronous standbys on BASE+2.. (default 2,
// so that number_sync_standbys = 1: pg_auto_failover accepts 1 only with two standbys in the
// replication quorum). synchronous_commit is on, so a COMMIT returns once a standby has the
// WAL. `up` creates what is missing, starts every node, makes the `messagehub` role and
// database, migrates, and prints the multi-host DATABASE_URL. `--fast` shortens the
// monitor's health checks (failover in seconds rather than ~30 s), for tests.
// As root every pg_autoctl runs as the `postgres` system user, as it must.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrate } from '../db/migrate.ts';

const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
const HOST = '127.0.0.1';
const APP = 'messagehub';

/**
 * Monitor settings for tests (pgautofailover.* GUCs): a node is unhealthy after ~3 s instead
 * of ~20 s, and a primary that does not answer is taken as demoted after 5 s instead of 30 s.
 * Safe for acknowledged writes either way: an old primary cut off from its synchronous
 * standbys cannot acknowledge a commit.
 */
const FAST_FAILOVER: Record<string, number> = {
  'pgautofailover.health_check_period': 1000,
  'pgautofailover.health_check_timeout': 1000,
  'pgautofailover.health_check_max_retries': 1,
  'pgautofailover.health_check_retry_delay': 500,
  'pgautofailover.node_considered_unhealthy_timeout': 3000,
  'pgautofailover.primary_demote_timeout': 5000,
};

export interface ClusterOptions {
  dir: string;
  basePort: number;
  standbys: number;
  fast: boolean;
  log?: (line: string) => void;
}

export interface NodeState {
  name: string;
  port: number;
  reported: string;
  assigned: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Cluster {
  readonly nodes: string[];
  private readonly log: (line: string) => void;
  private readonly user: { uid: number; gid: number } | null;
  /** Processes this object started (pg_autoctl run, each in its own process group). */
  private readonly children = new Map<string, ChildProcess>();

  constructor(readonly opts: ClusterOptions) {
    this.nodes = ['monitor', ...Array.from({ length: opts.standbys + 1 }, (_, i) => `node${i + 1}`)];
    this.log = opts.log ?? ((l) => console.log(l));
    this.user = process.getuid?.() === 0 ? postgresUser() : null;
  }

  port(name: string): number {
    return this.opts.basePort + this.nodes.indexOf(name);
  }

  pgdata(name: string): string {
    return path.join(this.opts.dir, name);
  }

  get monitorUrl(): string {
    return `postgres://autoctl_node@${HOST}:${this.port('monitor')}/pg_auto_failover?sslmode=disable`;
  }

  /** The multi-host URL the service uses: every data node, the one taking writes wins. */
  get url(): string {
    const hosts = this.nodes.filter((n) => n !== 'monitor').map((n) => `${HOST}:${this.port(n)}`).join(',');
    return `postgresql://${APP}@${hosts}/${APP}?target_session_attrs=read-write`;
  }

  /** A single-host URL of one node (superuser, for checks). */
  nodeUrl(name: string, database = APP): string {
    return `postgresql://postgres@${HOST}:${this.port(name)}/${database}`;
  }

  async up(): Promise<string> {
    mkdirSync(this.opts.dir, { recursive: true, mode: 0o700 });
    for (const sub of ['', 'xdg-config', 'xdg-data', 'xdg-run']) this.own(path.join(this.opts.dir, sub));
    if (!existsSync(this.pgdata('monitor'))) {
      this.autoctl(['create', 'monitor', '--pgdata', this.pgdata('monitor'), '--pgport', String(this.port('monitor')),
        '--hostname', HOST, '--listen', HOST, '--auth', 'trust', '--no-ssl', '--pgctl', path.join(PG_BIN, 'pg_ctl')]);
    }
    await this.start('monitor');
    await this.waitFor('the monitor', async () => (await this.tryQuery(this.nodeUrl('monitor', 'pg_auto_failover'), 'SELECT 1')) !== null);
    if (this.opts.fast) {
      const settings = Object.entries(FAST_FAILOVER).map(([k, v]) => `ALTER SYSTEM SET ${k} = ${v}`);
      for (const s of [...settings, 'SELECT pg_reload_conf()']) await this.query(this.nodeUrl('monitor', 'pg_auto_failover'), s);
    }
    // One data node after the other: the first becomes the primary, the others standbys.
    for (const name of this.nodes.slice(1)) {
      if (!existsSync(this.pgdata(name))) {
        this.autoctl(['create', 'postgres', '--pgdata', this.pgdata(name), '--pgport', String(this.port(name)), '--name', name,
          '--hostname', HOST, '--listen', HOST, '--dbname', APP, '--monitor', this.monitorUrl, '--auth', 'trust', '--no-ssl',
          '--pgctl', path.join(PG_BIN, 'pg_ctl')]);
      }
      await this.start(name);
      await this.waitFor(`${name} to join`, async () => {
        const s = (await this.state()).find((n) => n.name === name);
        return s !== undefined && ['single', 'primary', 'secondary'].includes(s.reported) && s.reported === s.assigned;
      }, 180_000);
    }
    if (this.opts.standbys >= 2) {
      const current = await this.query(this.nodeUrl('monitor', 'pg_auto_failover'), `SELECT number_sync_standbys FROM pgautofailover.formation WHERE formationid = 'default'`);
      if (Number(current.rows[0]?.number_sync_standbys) !== 1) {
        await this.query(this.nodeUrl('monitor', 'pg_auto_failover'), `SELECT pgautofailover.set_formation_number_sync_standbys('default', 1)`);
      }
    }
    const primary = await this.waitForPrimary();
    // The application's role owns its database; trust on loopback here (scram in production).
    const admin = this.nodeUrl(primary);
    await this.query(admin, `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${APP}') THEN CREATE ROLE ${APP} LOGIN; END IF; END $$`);
    await this.query(admin, `ALTER DATABASE ${APP} OWNER TO ${APP}`);
    await this.query(admin, `ALTER SCHEMA public OWNER TO ${APP}`);
    const { applied, version } = await migrate(this.url);
    this.log(`cluster: primary ${primary}, schema version ${version}${applied.length ? ` (applied ${applied.length})` : ''}`);
    return this.url;
  }

  /** Stop every node (pg_autoctl stop, then SIGKILL what is left), standbys first. */
  async down(): Promise<void> {
    for (const name of [...this.nodes].reverse()) {
      if (existsSync(this.pgdata(name))) this.autoctl(['stop', '--pgdata', this.pgdata(name)], { check: false });
    }
    const end = Date.now() + 30_000;
    for (const name of this.nodes) {
      while (this.running(name) && Date.now() < end) await sleep(100);
      if (this.running(name)) this.kill(name);
    }
    for (const child of this.children.values()) if (child.pid && child.exitCode === null) killGroup(child.pid);
    this.children.clear();
  }

  /** down() and remove the directory. */
  async destroy(): Promise<void> {
    await this.down();
    rmSync(this.opts.dir, { recursive: true, force: true });
  }

  /** `pg_autoctl run` for a node, in its own process group, logging to DIR/<name>.log. */
  async start(name: string): Promise<void> {
    if (this.running(name)) return;
    const out = openSync(path.join(this.opts.dir, `${name}.log`), 'a');
    const child = spawn('pg_autoctl', ['run', '--pgdata', this.pgdata(name)], {
      env: this.env(), stdio: ['ignore', out, out], detached: true, ...(this.user ?? {}), cwd: this.opts.dir,
    });
    child.unref();
    this.children.set(name, child);
    writeFileSync(path.join(this.opts.dir, `${name}.pgid`), String(child.pid));
  }

  /** SIGKILL a node: its pg_autoctl, its Postgres and every backend (a machine that died). */
  kill(name: string): void {
    const pgid = this.pgid(name);
    if (pgid) killGroup(pgid);
    const pid = postmasterPid(this.pgdata(name));
    if (pid) {
      // Postgres runs in process groups of its own: the postmaster and each of its children.
      for (const p of [pid, ...childrenOf(pid)]) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }

  running(name: string): boolean {
    const pgid = this.pgid(name);
    if (!pgid) return false;
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  }

  /** The monitor's view: each data node's reported and assigned state. */
  async state(): Promise<NodeState[]> {
    const r = await this.tryQuery(this.nodeUrl('monitor', 'pg_auto_failover'),
      'SELECT nodename AS name, nodeport AS port, reportedstate::text AS reported, goalstate::text AS assigned FROM pgautofailover.node ORDER BY nodeid');
    return (r?.rows ?? []) as NodeState[];
  }

  /** The data node that is primary and accepts writes, once there is one. */
  async waitForPrimary(timeoutMs = 120_000, not?: string): Promise<string> {
    let found = '';
    await this.waitFor('a primary', async () => {
      const p = (await this.state()).find((n) => n.name !== not && n.reported === 'primary' && n.assigned === 'primary');
      if (!p) return false;
      const ro = await this.tryQuery(this.nodeUrl(p.name), 'SHOW transaction_read_only');
      if (ro?.rows[0]?.transaction_read_only !== 'off') return false;
      found = p.name;
      return true;
    }, timeoutMs);
    return found;
  }

  async waitFor(what: string, ok: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await ok())) {
      if (Date.now() > end) throw new Error(`cluster: timed out waiting for ${what}`);
      await sleep(250);
    }
  }

  async query(url: string, sql: string): Promise<pg.QueryResult> {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
    c.on('error', () => undefined);
    await c.connect();
    try {
      return await c.query(sql);
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  async tryQuery(url: string, sql: string): Promise<pg.QueryResult | null> {
    return this.query(url, sql).catch(() => null);
  }

  private pgid(name: string): number | null {
    const child = this.children.get(name);
    if (child?.pid) return child.pid;
    try {
      return Number(readFileSync(path.join(this.opts.dir, `${name}.pgid`), 'utf8')) || null;
    } catch {
      return null;
    }
  }

  private env(): NodeJS.ProcessEnv {
    const d = this.opts.dir;
    return {
      PATH: `${PG_BIN}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: d,
      // pg_autoctl keeps its configuration, state and pid files under these: all in DIR.
      XDG_CONFIG_HOME: path.join(d, 'xdg-config'),
      XDG_DATA_HOME: path.join(d, 'xdg-data'),
      XDG_RUNTIME_DIR: path.join(d, 'xdg-run'),
      PGHOST: HOST,
    };
  }

  private autoctl(args: string[], { check = true } = {}): void {
    const r = spawnSync('pg_autoctl', args, { env: this.env(), encoding: 'utf8', cwd: this.opts.dir, ...(this.user ?? {}) });
    if (check && r.status !== 0) throw new Error(`pg_autoctl ${args.slice(0, 2).join(' ')} failed (${r.status}): ${(r.stderr || r.stdout || String(r.error)).slice(-2000)}`);
  }

  private own(p: string): void {
    mkdirSync(p, { recursive: true, mode: 0o700 });
    if (this.user) chownSync(p, this.user.uid, this.user.gid);
  }
}

function postgresUser(): { uid: number; gid: number } {
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('cluster: no `postgres` system user (install postgresql-15-auto-failover)');
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

function postmasterPid(pgdata: string): number | null {
  try {
    return Number(readFileSync(path.join(pgdata, 'postmaster.pid'), 'utf8').split('\n')[0]) || null;
  } catch {
    return null;
  }
}

function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === ppid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export function clusterOptions(argv: string[]): ClusterOptions & { command: string } {
  const arg = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    command: argv.find((a) => !a.startsWith('--') && !argv[argv.indexOf(a) - 1]?.startsWith('--')) ?? 'up',
    dir: path.resolve(arg('dir') ?? process.env.CLUSTER_DIR ?? path.join(os.tmpdir(), 'messagehub-cluster')),
    basePort: Number(arg('port') ?? process.env.CLUSTER_PORT ?? 6540),
    standbys: Number(arg('standbys') ?? 2),
    fast: argv.includes('--fast'),
  };
}

async function main(): Promise<void> {
  const { command, ...opts } = clusterOptions(process.argv.slice(2));
  const cluster = new Cluster(opts);
  switch (command) {
    case 'up': {
      const url = await cluster.up();
      console.log(`cluster is up in ${opts.dir} (monitor ${cluster.monitorUrl})`);
      console.log(`DATABASE_URL='${url}'`);
      break;
    }
    case 'down':
      await cluster.down();
      console.log(`cluster in ${opts.dir} stopped (data kept; \`destroy\` removes it)`);
      break;
    case 'destroy':
      await cluster.destroy();
      console.log(`cluster in ${opts.dir} stopped and removed`);
      break;
    case 'url':
      console.log(cluster.url);
      break;
    case 'state':
      console.table(await cluster.state());
      break;
    default:
      throw new Error(`unknown command ${command}: up, down, destroy, url or state`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: Error) => {
    console.error(`cluster: ${error.message}`);
    process.exit(1);
  });
}
