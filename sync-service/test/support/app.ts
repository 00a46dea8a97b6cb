import type { Server, ServerInjectResponse } from '@hapi/hapi';
import { randomUUID } from 'node:crypto';
import {
  createEpoch, envelopeHash, sealMessage, signLoginProof,
  type Envelope, type EpochRecord, type Identity,
} from '../../../protocol/src/index.ts';
import { testConfig, type Config } from '../../src/config.ts';
import { openDatabase, type DatabaseHandle } from '../../src/db/index.ts';
import { createServer, type ServerDependencies } from '../../src/server.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { registration } from './identities.ts';

export const ORIGIN = 'http://localhost:8080';

export interface TestApp {
  server: Server;
  database: DatabaseHandle;
  testDb: TestDatabase;
  config: Config;
  /** Stop the server and close its pool; the database stays (restart tests). */
  stop(): Promise<void>;
  /** stop() and drop the database. */
  close(): Promise<void>;
}

/** The service on a fresh database (or on `testDb`), initialised (listening if `listen`). */
export async function startApp(opts: {
  config?: Partial<Config>;
  testDb?: TestDatabase;
  listen?: boolean;
  deps?: Partial<ServerDependencies>;
} = {}): Promise<TestApp> {
  const testDb = opts.testDb ?? (await createTestDatabase('svc'));
  const config = testConfig({ origins: [ORIGIN, 'http://127.0.0.1:8080'], host: '127.0.0.1', port: 0, ...opts.config });
  const database = openDatabase(testDb.url, { poolSize: 10 });
  const server = await createServer(config, { database, ...opts.deps });
  if (opts.listen) await server.start();
  else await server.initialize();
  let stopped = false;
  const app: TestApp = {
    server,
    database,
    testDb,
    config,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop({ timeout: 2000 });
      await database.close();
    },
    async close() {
      await app.stop();
      await testDb.drop();
    },
  };
  return app;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export async function call(
  server: Server,
  method: string,
  url: string,
  opts: { token?: string; payload?: unknown; headers?: Record<string, string> } = {},
): Promise<ServerInjectResponse & { json: any }> {
  const res = await server.inject({
    method,
    url,
    payload: opts.payload as object | undefined,
    headers: { ...(opts.token ? bearer(opts.token) : {}), ...opts.headers },
  });
  let json: unknown;
  try {
    json = res.payload ? JSON.parse(res.payload) : undefined;
  } catch {
    json = undefined;
  }
  return Object.assign(res, { json });
}

export async function register(server: Server, id: Identity, userName?: string) {
  const res = await call(server, 'POST', '/api/v1/users', { payload: await registration(id, userName) });
  if (res.statusCode !== 201) throw new Error(`register ${id.userId}: ${res.statusCode} ${res.payload}`);
  return res.json;
}

/** Challenge and login; returns the bearer token and session id. */
export async function login(server: Server, id: Identity, deviceName = 'test device'): Promise<{ token: string; sessionId: string }> {
  const c = await call(server, 'POST', '/api/v1/auth/challenge', { payload: { userId: id.userId, origin: ORIGIN } });
  if (c.statusCode !== 201) throw new Error(`challenge ${id.userId}: ${c.statusCode} ${c.payload}`);
  const proof = await signLoginProof(id, { nonce: c.json.nonce, origin: ORIGIN });
  const l = await call(server, 'POST', '/api/v1/auth/login', { payload: { challengeId: c.json.challengeId, proof, deviceName } });
  if (l.statusCode !== 201) throw new Error(`login ${id.userId}: ${l.statusCode} ${l.payload}`);
  return { token: l.json.token, sessionId: l.json.sessionId };
}

/** A conversation in the making: real signed epoch records and sealed envelopes. */
export class Conv {
  readonly id: string;
  epoch = 0;
  record!: EpochRecord;
  key!: CryptoKey;
  private chains = new Map<string, { counter: number; prevHash: string | null }>();

  constructor(id: string = randomUUID()) {
    this.id = id;
  }

  async makeEpoch(creator: Identity, members: Identity[]): Promise<EpochRecord> {
    const next = this.record ? this.record.epoch + 1 : 0;
    const { record, key } = await createEpoch({
      conversationId: this.id, epoch: next, creator, members: members.map((m) => m.public), previous: this.record ?? null,
    });
    this.record = record;
    this.key = key;
    this.epoch = next;
    return record;
  }

  async seal(sender: Identity, body = 'hello', clientMessageId: string = randomUUID()): Promise<Envelope> {
    const chain = this.chains.get(sender.userId) ?? { counter: 0, prevHash: null };
    const env = await sealMessage({
      conversationId: this.id, epoch: this.epoch, epochKey: this.key, sender, clientMessageId,
      counter: chain.counter + 1, prevHash: chain.prevHash, plaintext: { type: 'text', body, composedAt: Date.now() },
    });
    this.chains.set(sender.userId, { counter: chain.counter + 1, prevHash: await envelopeHash(env) });
    return env;
  }
}

/** Create a conversation on the server: creator plus members (all registered). */
export async function createConversation(server: Server, token: string, creator: Identity, members: Identity[]): Promise<Conv> {
  const conv = new Conv();
  const record = await conv.makeEpoch(creator, members);
  const res = await call(server, 'POST', '/api/v1/conversations', { token, payload: { epochRecord: record } });
  if (res.statusCode !== 201) throw new Error(`create conversation: ${res.statusCode} ${res.payload}`);
  return conv;
}

export async function send(server: Server, token: string, conv: Conv, env: Envelope) {
  return call(server, 'POST', `/api/v1/conversations/${conv.id}/messages`, { token, payload: { envelope: env } });
}
