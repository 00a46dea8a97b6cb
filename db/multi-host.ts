// Multi-host connection strings, as libpq reads them, for node-postgres (which reads one
// host only): `postgresql://user@h1:p1,h2:p2,h3:p3/db?target_session_attrs=read-write`.
// A PrimaryLocator asks the hosts which one takes writes (`SHOW transaction_read_only`,
// as libpq does) and remembers it; every new connection goes there and checks again
// once connected. After a failover the first connection that finds the old primary gone
// (refused, or read-only) forgets it, and the next look-up finds the promoted standby.
import pg from 'pg';
import { parse as parseConnectionString } from 'pg-connection-string';

export interface HostPort {
  host: string;
  port: number;
}

export interface DatabaseUrl {
  hosts: HostPort[];
  /** Everything but the host and port: user, password, database, ssl... */
  base: pg.ClientConfig;
  /** target_session_attrs=read-write (or primary): only a server that takes writes will do. */
  readWrite: boolean;
  /**
   * The server wanted, as libpq's target_session_attrs says it: `read-write` (also written
   * `primary`), `standby` (only a server in recovery), `prefer-standby` (a standby if one
   * answers, else any), or `any` (the first that answers).
   */
  target: 'any' | 'read-write' | 'standby' | 'prefer-standby';
}

/** Takes writes (`transaction_read_only` off), or replays a primary's WAL (in recovery). */
const STATE_QUERY = "SELECT pg_is_in_recovery() AS standby, current_setting('transaction_read_only') AS \"readOnly\"";

/** No server of a multi-host DATABASE_READ_URL is a standby, and the URL asked for one. */
export class NoStandbyError extends Error {
  readonly code = 'MH_NO_STANDBY';
  constructor(hosts: HostPort[], reasons: string[]) {
    super(`no standby among ${hosts.map((h) => `${h.host}:${h.port}`).join(', ')} (${reasons.join('; ')})`);
    this.name = 'NoStandbyError';
  }
}

/** No server of a multi-host DATABASE_URL takes writes right now (a failover is under way). */
export class NoPrimaryError extends Error {
  readonly code = 'MH_NO_PRIMARY';
  constructor(hosts: HostPort[], reasons: string[]) {
    super(`no read-write server among ${hosts.map((h) => `${h.host}:${h.port}`).join(', ')} (${reasons.join('; ')})`);
    this.name = 'NoPrimaryError';
  }
}

/** The server a connection reached turned out to be read-only (demoted, or a standby). */
export class NotPrimaryError extends Error {
  readonly code = 'MH_NOT_PRIMARY';
  constructor(target: HostPort) {
    super(`${target.host}:${target.port} does not take writes`);
    this.name = 'NotPrimaryError';
  }
}

const URL_RE = /^(postgres(?:ql)?:\/\/)([^@/?#]*@)?([^/?#]*)(.*)$/;

/** True when the URL names more than one host. */
export function isMultiHost(url: string): boolean {
  return (URL_RE.exec(url)?.[3] ?? '').includes(',');
}

/** Parse a (possibly multi-host) postgres URL; throws on a malformed one (never echoing it: it may hold a password). */
export function parseDatabaseUrl(url: string): DatabaseUrl {
  const m = URL_RE.exec(url);
  if (!m) throw new Error('DATABASE_URL must start with postgres:// or postgresql://');
  const [, scheme, auth = '', hostList, rest] = m as unknown as [string, string, string | undefined, string, string];
  const hosts: HostPort[] = hostList.split(',').map((h) => {
    const hm = /^(\[[^\]]+\]|[^:]*)(?::(\d+))?$/.exec(h);
    if (!hm || !hm[1]) throw new Error('DATABASE_URL has an empty or malformed host');
    return { host: hm[1].replace(/^\[(.+)\]$/, '$1'), port: hm[2] ? Number(hm[2]) : 5432 };
  });
  const parsed = parseConnectionString(`${scheme}${auth}${hostList.split(',')[0]}${rest}`) as Record<string, unknown>;
  const attrs = String(parsed.target_session_attrs ?? 'any');
  if (!['any', 'read-write', 'primary', 'standby', 'prefer-standby'].includes(attrs)) {
    throw new Error(`DATABASE_URL: target_session_attrs=${attrs} is not supported (any, read-write, primary, standby, prefer-standby)`);
  }
  delete parsed.target_session_attrs;
  delete parsed.host;
  delete parsed.port;
  const target = attrs === 'primary' ? 'read-write' : (attrs as DatabaseUrl['target']);
  return { hosts, base: parsed as pg.ClientConfig, readWrite: target === 'read-write', target };
}

/**
 * Finds the server to connect to: with read-write, the first host (in URL order) that
 * takes writes, else the first that answers. One look-up at a time; the answer is kept
 * until a connection finds it wrong (forget()).
 */
export class PrimaryLocator {
  private current: HostPort | null = null;
  private lookup: Promise<HostPort> | null = null;

  constructor(readonly url: DatabaseUrl, private readonly probeTimeoutMs = 3000) {}

  async primary(): Promise<HostPort> {
    if (this.url.hosts.length === 1 && this.url.target === 'any') return this.url.hosts[0]!;
    if (this.current) return this.current;
    this.lookup ??= this.probe().finally(() => {
      this.lookup = null;
    });
    return this.lookup;
  }

  /** A connection to `target` failed or found it read-only: look again next time. */
  forget(target: HostPort): void {
    if (this.current && this.current.host === target.host && this.current.port === target.port) this.current = null;
  }

  private async probe(): Promise<HostPort> {
    const reasons: string[] = [];
    const { target } = this.url;
    // What each host is: 'down', 'primary' or 'standby' (in recovery).
    const answers = await Promise.all(this.url.hosts.map(async (h): Promise<'down' | 'primary' | 'standby'> => {
      const client = new pg.Client({ ...this.url.base, host: h.host, port: h.port, connectionTimeoutMillis: this.probeTimeoutMs });
      client.on('error', () => undefined);
      try {
        await client.connect();
        if (target === 'any') return 'primary';
        const { rows } = await client.query<{ standby: boolean; readOnly: string }>(STATE_QUERY);
        if (rows[0]?.readOnly === 'off') {
          if (target === 'standby') reasons.push(`${h.host}:${h.port} not a standby`);
          return 'primary';
        }
        reasons.push(`${h.host}:${h.port} read-only`);
        return rows[0]?.standby ? 'standby' : 'down';
      } catch (error) {
        reasons.push(`${h.host}:${h.port} ${(error as Error).message}`);
        return 'down';
      } finally {
        await client.end().catch(() => undefined);
      }
    }));
    let i: number;
    if (target === 'read-write' || target === 'any') i = answers.indexOf('primary');
    else if (target === 'standby') i = answers.indexOf('standby');
    else i = answers.indexOf('standby') >= 0 ? answers.indexOf('standby') : answers.findIndex((a) => a !== 'down');
    if (i < 0) throw target === 'standby' ? new NoStandbyError(this.url.hosts, reasons) : new NoPrimaryError(this.url.hosts, reasons);
    this.current = this.url.hosts[i]!;
    return this.current;
  }
}

/** What pg-pool and the notifier construct: `new Client(config)`, then `connect()`. */
export type ClientClass = new (config?: pg.ClientConfig) => pg.Client;

/**
 * A pg.Client class that connects to the locator's server: pg-pool takes it as `Client`,
 * the notifier as its LISTEN client. A connection string in the config is ignored (the
 * locator's URL is used); other settings (keepAlive, timeouts) apply.
 */
export function locatedClientClass(locator: PrimaryLocator): ClientClass {
  const { base, target: wanted } = locator.url;
  return class LocatedClient extends pg.Client {
    constructor(config: pg.ClientConfig = {}) {
      const { connectionString: _ignored, host: _h, port: _p, ...rest } = config;
      super({ ...base, ...rest });
    }

    // pg-pool calls connect(callback); others await connect().
    override connect(): Promise<pg.Client>;
    override connect(callback: ((err: Error) => void) | ((err: null, c: pg.Client) => void)): void;
    override connect(callback?: (...args: any[]) => void): Promise<pg.Client> | void {
      const done = this.locate().then(() => this as pg.Client);
      if (!callback) return done;
      done.then((c) => callback(null, c), (error: Error) => callback(error));
    }

    private async locate(): Promise<void> {
      const target = await locator.primary();
      const self = this as unknown as { host: string; port: number; connectionParameters: { host: string; port: number } };
      self.host = self.connectionParameters.host = target.host;
      self.port = self.connectionParameters.port = target.port;
      try {
        await super.connect();
      } catch (error) {
        locator.forget(target);
        throw error;
      }
      if (wanted === 'any' || wanted === 'prefer-standby') return;
      const { rows } = await this.query<{ standby: boolean; readOnly: string }>(STATE_QUERY);
      const fits = wanted === 'standby' ? rows[0]?.standby === true : rows[0]?.readOnly === 'off';
      if (!fits) {
        // Promoted or demoted since it was found: look again.
        locator.forget(target);
        await this.end().catch(() => undefined);
        throw wanted === 'standby' ? new NoStandbyError([target], ['promoted']) : new NotPrimaryError(target);
      }
    }
  };
}

/** A pg.Client for `url`, following the primary when the URL names several hosts. */
export function createClient(url: string, config: Omit<pg.ClientConfig, 'connectionString'> = {}): pg.Client {
  if (!isMultiHost(url) && parseDatabaseUrl(url).target === 'any') return new pg.Client({ ...config, connectionString: url });
  const Client = locatedClientClass(new PrimaryLocator(parseDatabaseUrl(url)));
  return new Client(config);
}
