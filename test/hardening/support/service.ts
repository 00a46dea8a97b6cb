// Small helpers that play a client against the real sync service: register, log in,
// create a conversation, append messages. `inject` requests go through Hapi without
// a socket; `http` requests go to a listening service (a child process).
import type { Server } from '@hapi/hapi';
import {
  createEpoch, envelopeHash, sealMessage, signLoginProof, signRegistration,
  type EpochRecord, type Envelope, type Identity, type PublicIdentity,
} from '../../../protocol/src/index.ts';

export interface Answer {
  status: number;
  json: any;
  headers: Record<string, string | string[] | undefined>;
}

export type Requester = (method: string, url: string, opts?: { token?: string; body?: unknown; headers?: Record<string, string> }) => Promise<Answer>;

export function injector(server: Server): Requester {
  return async (method, url, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const res = await server.inject({ method, url, headers, payload: opts.body === undefined ? undefined : (opts.body as object) });
    let json: unknown;
    try {
      json = res.payload ? JSON.parse(res.payload) : null;
    } catch {
      json = res.payload;
    }
    return { status: res.statusCode, json, headers: res.headers as Answer['headers'] };
  };
}

export function httpClient(baseUrl: () => string): Requester {
  return async (method, url, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(baseUrl() + url, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: res.status, json, headers: Object.fromEntries(res.headers) };
  };
}

function expectStatus(a: Answer, ok: number[], what: string): Answer {
  if (!ok.includes(a.status)) throw new Error(`${what}: HTTP ${a.status} ${JSON.stringify(a.json)}`);
  return a;
}

export async function register(req: Requester, identity: Identity, userName: string = identity.userId): Promise<void> {
  const proof = await signRegistration(identity);
  expectStatus(await req('POST', '/api/v1/users', { body: { userName, identity: identity.public, proof } }), [200, 201], `register ${userName}`);
}

export async function login(req: Requester, identity: Identity, origin: string, headers: Record<string, string> = {}): Promise<{ token: string; sessionId: string }> {
  const ch = expectStatus(await req('POST', '/api/v1/auth/challenge', { body: { userId: identity.userId, origin }, headers }), [201], 'challenge').json;
  const proof = await signLoginProof(identity, { nonce: ch.nonce, origin });
  const s = expectStatus(await req('POST', '/api/v1/auth/login', { body: { challengeId: ch.challengeId, proof, deviceName: 'hardening test' }, headers }), [201], 'login').json;
  return { token: s.token, sessionId: s.sessionId };
}

/** A conversation seen from one member: its epoch key and its own sending chain. */
export interface Conversation {
  id: string;
  record: EpochRecord;
  key: CryptoKey;
  seq: number;
}

export async function createConversation(req: Requester, token: string, creator: Identity, members: PublicIdentity[], conversationId = crypto.randomUUID()): Promise<Conversation> {
  const { record, key } = await createEpoch({ conversationId, epoch: 0, creator, members: [creator.public, ...members], previous: null });
  const a = expectStatus(await req('POST', '/api/v1/conversations', { token, body: { epochRecord: record } }), [200, 201], 'create conversation');
  return { id: conversationId, record, key, seq: a.json.seq };
}

/** A sender's chain in one conversation (counter, previous hash). */
export class Chain {
  counter = 0;
  prevHash: string | null = null;
  constructor(readonly sender: Identity, readonly conversation: { id: string; key: CryptoKey; epoch?: number }) {}

  async next(body: string, plaintextType: 'text' | 'receipt' = 'text', refs?: string[]): Promise<Envelope> {
    const env = await sealMessage({
      conversationId: this.conversation.id, epoch: this.conversation.epoch ?? 0, epochKey: this.conversation.key, sender: this.sender,
      clientMessageId: crypto.randomUUID(), counter: this.counter + 1, prevHash: this.prevHash,
      plaintext: { type: plaintextType, body, composedAt: Date.now(), ...(refs ? { refs } : {}) },
    });
    this.counter += 1;
    this.prevHash = await envelopeHash(env);
    return env;
  }
}
