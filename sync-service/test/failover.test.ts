// Riding through a failover, without a cluster (issue 19): the run's embedded Postgres,
// with backends killed by pg_terminate_backend as a dying primary would kill them.
//  - the LISTEN connection comes back by itself and says so (resync);
//  - an append whose connection dies in flight is retried and stored once;
//  - when the retries run out the answer is 503 database_unavailable with Retry-After,
//    and the client's resend with the same client id is stored once;
//  - a multi-host DATABASE_URL (db/multi-host.ts) skips a dead host and a read-only one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { Envelope, Identity } from '../../protocol/src/index.ts';
import { freePort } from '../../db/embedded.ts';
import { NoPrimaryError, NoStandbyError, parseDatabaseUrl, PrimaryLocator } from '../../db/multi-host.ts';
import { openDatabase } from '../src/db/index.ts';
import { isDatabaseUnavailable } from '../src/db/unavailable.ts';
import { createConversation, login, send, signUp, startApp, type Conv, type TestApp } from '../../test/support/service.ts';
import { identity } from '../../test/support/identities.ts';
import type { TestDatabase } from '../../test/support/database.ts';
import { useTestDatabase } from '../../test/support/use-database.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, f: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A session that holds the conversation row, so an append waits in Postgres until released. */
async function holdConversation(url: string, conversationId: string): Promise<{ release(): Promise<void> }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query('BEGIN');
  await c.query('SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE', [conversationId]);
  return {
    async release() {
      await c.query('COMMIT');
      await c.end();
    },
  };
}

/** The pid of the backend waiting in append_messages, once it waits. */
function waitingAppend(db: TestDatabase): Promise<number> {
  return until('an append waiting on the row lock', async () => {
    const { rows } = await db.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%append_messages%'`,
    );
    return rows[0]?.pid;
  });
}

/**
 * Send `envelope` while its conversation row is held, terminate the backend of the append
 * waiting on it (as a dying primary would), then release the row: the service's answer.
 */
async function sendThroughTermination(db: TestDatabase, server: TestApp['server'], token: string, conv: Conv, envelope: Envelope) {
  const lock = await holdConversation(db.url, conv.id);
  const pending = send(server, token, conv, envelope);
  await db.query('SELECT pg_terminate_backend($1)', [await waitingAppend(db)]);
  await lock.release();
  return pending;
}

describe('failover without a cluster: dropped connections are retried, LISTEN comes back', () => {
  let app: TestApp;
  let alice: Identity;
  let bob: Identity;
  let token: string;
  let conv: Conv;

  beforeAll(async () => {
    app = await startApp();
    [alice, bob] = await Promise.all([identity('alice'), identity('bob')]);
    token = await signUp(app.server, alice);
    await signUp(app.server, bob);
    conv = await createConversation(app.server, token, alice, [bob]);
  });
  afterAll(async () => {
    await app?.close();
  });

  const count = async (clientId: string) =>
    (await app.testDb.query<{ n: number }>('SELECT count(*)::int AS n FROM log_entries WHERE conversation_id = $1 AND client_id = $2', [conv.id, clientId])).rows[0]!.n;

  it('the LISTEN connection, terminated, is re-established and emits resync; notifications flow again', async () => {
    const notifier = app.server.app.realtime!.notifier;
    await until('LISTEN connected', async () => notifier.connected);
    const { rows } = await app.testDb.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`);
    expect(rows.length).toBe(1);
    const resynced = new Promise<void>((resolve) => notifier.once('resync', () => resolve()));
    await app.testDb.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    await resynced;
    const { rows: after } = await app.testDb.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`);
    expect(after.length).toBe(1);
    expect(after[0]!.pid).not.toBe(rows[0]!.pid);
    const seen = new Promise<number>((resolve) => notifier.once('log', (id, seq) => id === conv.id && resolve(seq)));
    const res = await send(app.server, token, conv, await conv.seal(alice, 'after the LISTEN came back'));
    expect(res.status).toBe(201);
    expect(await seen).toBe(res.json.seq);
  });

  it('an append whose connection is terminated in flight is retried and stored once (201)', async () => {
    const before = app.server.app.appendQueue.retries;
    const envelope = await conv.seal(alice, 'in flight');
    const res = await sendThroughTermination(app.testDb, app.server, token, conv, envelope);
    expect(res.status).toBe(201);
    expect(app.server.app.appendQueue.retries).toBeGreaterThan(before);
    expect(await count(envelope.clientMessageId)).toBe(1);
  });

  it('with no retries left: 503 database_unavailable with Retry-After, and the resend is stored once', async () => {
    const strict = await startApp({ testDb: app.testDb, deps: { appendQueue: { maxItems: 1000, maxInFlight: 1, retryDelaysMs: [] } } });
    try {
      const t = (await login(strict.server, alice)).token;
      const envelope = await conv.seal(alice, 'answered 503');
      const res = await sendThroughTermination(app.testDb, strict.server, t, conv, envelope);
      expect(res.status).toBe(503);
      expect(res.json.error.code).toBe('database_unavailable');
      expect(res.headers['retry-after']).toBe('1');
      const again = await send(strict.server, t, conv, envelope);
      expect([200, 201]).toContain(again.status);
      expect(await count(envelope.clientMessageId)).toBe(1);
    } finally {
      await strict.stop();
    }
  });

  it('classifies errors: connection loss and failover states are retryable, answers of Postgres are not', () => {
    const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });
    expect(isDatabaseUnavailable(withCode('57P01'))).toBe(true);
    expect(isDatabaseUnavailable(withCode('25006'))).toBe(true);
    expect(isDatabaseUnavailable(withCode('08006'))).toBe(true);
    expect(isDatabaseUnavailable(withCode('ECONNREFUSED'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnavailable(new NoPrimaryError([{ host: '127.0.0.1', port: 1 }], []))).toBe(true);
    expect(isDatabaseUnavailable(withCode('23505', 'terminating connection'))).toBe(false);
    expect(isDatabaseUnavailable(withCode('42P01'))).toBe(false);
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
  });
});

describe('multi-host DATABASE_URL (target_session_attrs=read-write)', () => {
  const db = useTestDatabase('multihost');

  it('parses hosts in order and the session attribute', () => {
    const u = parseDatabaseUrl('postgresql://mh:secret@127.0.0.1:5441,127.0.0.1:5442,[::1]/messagehub?target_session_attrs=read-write&sslmode=disable');
    expect(u.hosts).toEqual([{ host: '127.0.0.1', port: 5441 }, { host: '127.0.0.1', port: 5442 }, { host: '::1', port: 5432 }]);
    expect(u.readWrite).toBe(true);
    expect(u.base).toMatchObject({ user: 'mh', password: 'secret', database: 'messagehub' });
    expect(parseDatabaseUrl('postgres://a@h/db').readWrite).toBe(false);
    expect(parseDatabaseUrl('postgresql://a@h1,h2/db?target_session_attrs=primary').target).toBe('read-write');
    expect(parseDatabaseUrl('postgresql://a@h1,h2/db?target_session_attrs=standby').target).toBe('standby');
    expect(() => parseDatabaseUrl('postgresql://a@h1,h2/db?target_session_attrs=read-only')).toThrow(/not supported/);
  });

  it('for history reads: standby finds none among primaries, prefer-standby settles for one that answers', async () => {
    const url = new URL(db().url);
    const dead = await freePort();
    const hosts = `postgresql://${url.username}:${url.password}@127.0.0.1:${dead},127.0.0.1:${url.port}${url.pathname}`;
    await expect(new PrimaryLocator(parseDatabaseUrl(`${hosts}?target_session_attrs=standby`)).primary()).rejects.toBeInstanceOf(NoStandbyError);
    expect(await new PrimaryLocator(parseDatabaseUrl(`${hosts}?target_session_attrs=prefer-standby`)).primary()).toEqual({ host: '127.0.0.1', port: Number(url.port) });
  });

  it('skips a host that refuses and one that is read-only, and finds none when all are', async () => {
    const url = new URL(db().url);
    const dead = await freePort();
    const multi = `postgresql://${url.username}:${url.password}@127.0.0.1:${dead},127.0.0.1:${url.port}${url.pathname}?target_session_attrs=read-write`;
    const handle = openDatabase(multi, { poolSize: 2 });
    try {
      expect(await handle.db.one('SELECT 1 AS one')).toEqual({ one: 1 });
      const listen = new handle.Client({ connectionString: 'ignored' });
      await listen.connect();
      await listen.end();
    } finally {
      await handle.close();
    }
    // Read-only for new sessions, as a standby is: the locator finds no primary. (The
    // database stays so: afterAll drops it.)
    await db().query(`ALTER DATABASE ${db().name} SET default_transaction_read_only = on`);
    {
      const locator = new PrimaryLocator(parseDatabaseUrl(multi));
      await expect(locator.primary()).rejects.toBeInstanceOf(NoPrimaryError);
      const ro = openDatabase(multi, { poolSize: 1 });
      try {
        const error = await ro.db.one('SELECT 1').catch((e: unknown) => e);
        expect(isDatabaseUnavailable(error)).toBe(true);
      } finally {
        await ro.close();
      }
    }
  });
});
