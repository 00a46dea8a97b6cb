// One client of the sync service for every Node-side suite (sync-service tests,
// test/hardening, bench seeding): the service built in-process (`startApp`), requests
// through Hapi without a socket (`injector`) or over HTTP (`httpClient`), and the client
// steps every test repeats: register, log in, create a conversation, seal and send.
// Sealing uses the real protocol (signed epoch records, per-sender hash chains).
import type { Server } from '@hapi/hapi';
import {
  createEpoch, envelopeHash, sealMessage, signLoginProof,
  type Envelope, type EpochRecord, type Identity, type PublicIdentity,
} from '../../protocol/src/index.ts';
import { testConfig, type Config } from '../../sync-service/src/config.ts';
import { openDatabase, type DatabaseHandle } from '../../sync-service/src/db/index.ts';
import { createServer, type ServerDependencies } from '../../sync-service/src/server.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { registration } from './identities.ts';

/** The browser origin the test clients claim (one of startApp's allowed origins). */
export const ORIGIN = 'http://localhost:8080';

// ---- the service in-process -------------------------------------------------------------

export interface TestApp {
  server: Server;
  /** Requests to `server` through inject (no socket). */
  req: Requester;
  database: DatabaseHandle;
  testDb: TestDatabase;
  config: Config;
  /** Stop the server and close its pool; the database stays (restart tests). */
  stop(): Promise<void>;
  /** stop() and drop the database. */
  close(): Promise<void>;
}

/** The service on a fresh database (or on `testDb`), initialised (listening on 127.0.0.1 if `listen`). */
export async function startApp(opts: {
  config?: Partial<Config>;
  testDb?: TestDatabase;
  listen?: boolean;
  deps?: Partial<ServerDependencies>;
} = {}): Promise<TestApp> {
  const testDb = opts.testDb ?? (await createTestDatabase('svc'));
  const config = testConfig({ origins: [ORIGIN, 'http://127.0.0.1:8080'], host: '127.0.0.1', port: 0, ...opts.config });
  const database = openDatabase(testDb.url, { poolSize: 10, readUrl: config.databaseReadUrl });
  const server = await createServer(config, { database, ...opts.deps });
  if (opts.listen) await server.start();
  else await server.initialize();
  let stopped = false;
  const app: TestApp = {
    server,
    req: injector(server),
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

// ---- requests ---------------------------------------------------------------------------

export interface Answer {
  status: number;
  /** The body parsed as JSON (undefined when empty, the text when not JSON). */
  json: any;
  /** The body as text. */
  payload: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface RequestOptions { token?: string; payload?: unknown; headers?: Record<string, string> }

export type Requester = (method: string, url: string, opts?: RequestOptions) => Promise<Answer>;

/** A server in-process, or any requester. */
export type Target = Server | Requester;

const bearer = (opts: RequestOptions): Record<string, string> => ({ ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...opts.headers });

function parse(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}

export function injector(server: Server): Requester {
  return async (method, url, opts = {}) => {
    const res = await server.inject({ method, url, headers: bearer(opts), payload: opts.payload as object | undefined });
    return { status: res.statusCode, json: parse(res.payload), payload: res.payload, headers: res.headers as Answer['headers'] };
  };
}

/** Requests over HTTP to a listening service (a child process, or `startApp({ listen: true })`). */
export function httpClient(baseUrl: string | (() => string)): Requester {
  return async (method, url, opts = {}) => {
    const headers = bearer(opts);
    if (opts.payload !== undefined) headers['content-type'] = 'application/json';
    const base = typeof baseUrl === 'string' ? baseUrl : baseUrl();
    const res = await fetch(base + url, { method, headers, body: opts.payload === undefined ? undefined : JSON.stringify(opts.payload) });
    const payload = await res.text();
    return { status: res.status, json: parse(payload), payload, headers: Object.fromEntries(res.headers) };
  };
}

const requester = (target: Target): Requester => (typeof target === 'function' ? target : injector(target));

/** One request to `target` (a server in-process or a requester). */
export function call(target: Target, method: string, url: string, opts: RequestOptions = {}): Promise<Answer> {
  return requester(target)(method, url, opts);
}

function expectStatus(a: Answer, ok: number[], what: string): Answer {
  if (!ok.includes(a.status)) throw new Error(`${what}: HTTP ${a.status} ${a.payload.slice(0, 300)}`);
  return a;
}

// ---- the client's steps -----------------------------------------------------------------

export async function register(target: Target, id: Identity, userName: string = id.userId): Promise<void> {
  expectStatus(await call(target, 'POST', '/api/v1/users', { payload: await registration(id, userName) }), [201], `register ${userName}`);
}

/** Challenge and login; the bearer token and session id. */
export async function login(
  target: Target,
  id: Identity,
  opts: { origin?: string; deviceName?: string; headers?: Record<string, string> } = {},
): Promise<{ token: string; sessionId: string }> {
  const { origin = ORIGIN, deviceName = 'test device', headers } = opts;
  const c = expectStatus(await call(target, 'POST', '/api/v1/auth/challenge', { payload: { userId: id.userId, origin }, headers }), [201], `challenge ${id.userId}`);
  const proof = await signLoginProof(id, { nonce: c.json.nonce, origin });
  const l = expectStatus(await call(target, 'POST', '/api/v1/auth/login', { payload: { challengeId: c.json.challengeId, proof, deviceName }, headers }), [201], `login ${id.userId}`);
  return { token: l.json.token, sessionId: l.json.sessionId };
}

/** register + login. */
export async function signUp(target: Target, id: Identity, opts: { origin?: string; deviceName?: string } = {}): Promise<string> {
  await register(target, id);
  return (await login(target, id, opts)).token;
}

// ---- sealing ----------------------------------------------------------------------------

/** One sender's hash chain in one conversation: each envelope continues the last. */
export class Chain {
  counter = 0;
  prevHash: string | null = null;
  constructor(readonly sender: Identity, readonly conversation: { id: string; key: CryptoKey; epoch?: number }) {}

  async next(body = 'hello', opts: { type?: 'text' | 'receipt'; refs?: string[]; clientMessageId?: string; composedAt?: number } = {}): Promise<Envelope> {
    const env = await sealMessage({
      conversationId: this.conversation.id, epoch: this.conversation.epoch ?? 0, epochKey: this.conversation.key, sender: this.sender,
      clientMessageId: opts.clientMessageId ?? crypto.randomUUID(), counter: this.counter + 1, prevHash: this.prevHash,
      plaintext: { type: opts.type ?? 'text', body, composedAt: opts.composedAt ?? Date.now(), ...(opts.refs ? { refs: opts.refs } : {}) },
    });
    this.counter += 1;
    this.prevHash = await envelopeHash(env);
    return env;
  }
}

/** A conversation in the making: its signed epoch records, current key, and every sender's chain. */
export class Conv {
  epoch = 0;
  record!: EpochRecord;
  key!: CryptoKey;
  /** The log position of the creating epoch record (once created on a server). */
  seq = 0;
  private chains = new Map<string, Chain>();

  constructor(readonly id: string = crypto.randomUUID()) {}

  /** The next epoch (0 first), signed by `creator`, with its key wrapped for `members`. */
  async makeEpoch(creator: Identity, members: (Identity | PublicIdentity)[]): Promise<EpochRecord> {
    const next = this.record ? this.record.epoch + 1 : 0;
    const { record, key } = await createEpoch({
      conversationId: this.id, epoch: next, creator, members: members.map(publicIdentity), previous: this.record ?? null,
    });
    this.record = record;
    this.key = key;
    this.epoch = next;
    return record;
  }

  /** The same conversation at the same epoch, with chains of its own (another device's view). */
  copy(): Conv {
    const c = new Conv(this.id);
    Object.assign(c, { record: this.record, epoch: this.epoch, key: this.key });
    return c;
  }

  /** `sender`'s chain here (its epoch follows the conversation's). */
  chain(sender: Identity): Chain {
    let chain = this.chains.get(sender.userId);
    if (!chain) this.chains.set(sender.userId, (chain = new Chain(sender, this)));
    return chain;
  }

  seal(sender: Identity, body = 'hello', clientMessageId?: string): Promise<Envelope> {
    return this.chain(sender).next(body, { clientMessageId });
  }
}

const publicIdentity = (m: Identity | PublicIdentity): PublicIdentity => ('public' in m ? m.public : m);

/** Creates a conversation on the server: `creator` plus `members` (the creator is added if missing). */
export async function createConversation(
  target: Target, token: string, creator: Identity, members: (Identity | PublicIdentity)[], conversationId?: string,
): Promise<Conv> {
  const conv = new Conv(conversationId);
  const all = members.map(publicIdentity);
  if (!all.some((m) => m.userId === creator.userId)) all.unshift(creator.public);
  const record = await conv.makeEpoch(creator, all);
  const res = expectStatus(await call(target, 'POST', '/api/v1/conversations', { token, payload: { epochRecord: record } }), [200, 201], 'create conversation');
  conv.seq = res.json.seq;
  return conv;
}

export function send(target: Target, token: string, conv: { id: string }, envelope: Envelope): Promise<Answer> {
  return call(target, 'POST', `/api/v1/conversations/${conv.id}/messages`, { token, payload: { envelope } });
}
