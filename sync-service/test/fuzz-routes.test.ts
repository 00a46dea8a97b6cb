// Route fuzzing (issue 8, item 1): fast-check drives every route of server.table(),
// enumerated at run time so a new route is fuzzed without touching this file, with
// wrong types, huge and empty values, unicode, missing and extra fields, bad base64,
// oversized bodies, bad, expired and revoked tokens and bad path parameters. No
// answer may be a 5xx; every error must be the JSON error shape with a documented
// code; /healthz must still answer 200 afterwards.
//
// Default: FUZZ_RUNS=120 requests per route (fixed seed), so `npm test` stays short on two
// cores. Long mode: `FUZZ_RUNS=10000 npx tsx bench/soak-fuzz.ts` (10,000 per route).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Server, RequestRoute } from '@hapi/hapi';
import WebSocket from 'ws';
import {
  certifyDevice, createDeviceKey, createEpoch, newLinkKey, revokeDevice, signLoginProof, signRegistration, type Envelope, type EpochRecord, type Identity,
} from '../../protocol/src/index.ts';
import { testConfig, type Config } from '../src/config.ts';
import { openDatabase, type DatabaseHandle } from '../src/db/index.ts';
import { createServer } from '../src/server.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.ts';
import { identity } from '../../test/support/identities.ts';
import { Chain, createConversation, injector, login, register, type Requester } from '../../test/support/service.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 120);
/**
 * `npm test` replays a fixed seed, so its coverage is the same on every run; the long mode
 * draws a new seed each time unless FUZZ_SEED is set (fast-check prints the seed of a failure).
 */
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : process.env.FUZZ_RUNS ? undefined : 20261125;
const WS_RUNS = Number(process.env.FUZZ_WS_RUNS ?? Math.min(RUNS, 120));
const here = path.dirname(fileURLToPath(import.meta.url));

// ---- the documented error codes --------------------------------------------------------

/** Codes named in API.md as "`NNN code`" (e.g. `409 user_name_taken`). */
function apiMdCodes(): Set<string> {
  const text = readFileSync(path.join(here, '../API.md'), 'utf8');
  const out = new Set<string>();
  for (const m of text.matchAll(/\b[45]\d\d ([a-z][a-z_]*[a-z])\b/g)) out.add(m[1]!);
  // "{ "type": "error", "code": "unauthorized" | "invalid_message" }" and similar quoted codes.
  for (const m of text.matchAll(/"code": "([a-z_]+)"(?: \| "([a-z_]+)")?/g)) for (const c of m.slice(1)) if (c) out.add(c);
  return out;
}

/** Codes the errors module gives failures Hapi raises before a handler (status map, payload and validation failures). */
function frameworkCodes(): Set<string> {
  const text = readFileSync(path.join(here, '../src/plugins/errors/index.ts'), 'utf8');
  const out = new Set<string>();
  for (const m of text.matchAll(/(?:return|ApiError\(\d{3},)\s*'([a-z]+(?:_[a-z]+)*)'/g)) out.add(m[1]!);
  out.delete('internal'); // a 5xx is a failure of this test anyway
  return out;
}

/** Codes a route documents in its OpenAPI responses (the strings of its 4xx entries). */
function routeCodes(route: RequestRoute): Set<string> {
  const responses = ((route.settings.plugins as Record<string, any> | undefined)?.openapi?.responses ?? {}) as Record<string, unknown>;
  const out = new Set<string>();
  for (const [status, v] of Object.entries(responses)) {
    if (Number(status) < 400 || typeof v !== 'string') continue;
    for (const part of v.split('|')) if (/^[a-z_]+$/.test(part.trim())) out.add(part.trim());
  }
  return out;
}

// ---- arbitraries -----------------------------------------------------------------------------

const b64chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= \n.%';
const badBase64 = fc.string({ unit: fc.constantFrom(...b64chars.split('')), maxLength: 120 });
const unicode = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }), // any code point, lone surrogates included
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.constantFrom('\u0000', '\u202e', 'ﬃ', 'İ', 'Ａｌｉｃｅ', '👩‍👩‍👧', '\uD800', '\uFFFF', 'a\u0301', '..', '../..', '%00', '%2F'),
);
const hugeString = fc.oneof(
  { weight: 9, arbitrary: fc.integer({ min: 1_000, max: 100_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 2_000_000, max: 2_200_000 }) }, // above MAX_REQUEST_BYTES
).map((n) => 'A'.repeat(n));
const number = fc.oneof(
  fc.integer(), fc.double(), fc.constantFrom(-1, 0, 1, 2 ** 31, 2 ** 53, 2 ** 53 + 2, 1e308, -1e308, 0.5, -0),
);

/** A hostile JSON value: wrong types, empty, huge, unicode, bad base64, nested junk. */
const nasty: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(null, '', true, false, {}, [], 0, '0', 'null') },
  { weight: 3, arbitrary: number },
  { weight: 3, arbitrary: unicode },
  { weight: 3, arbitrary: badBase64 },
  { weight: 1, arbitrary: hugeString },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom(null, 1, 'a', {}), { maxLength: 600 }) },
);

/** Percent-encode UTF-8 bytes (a lone surrogate becomes U+FFFD, as a browser would send it). */
function enc(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_.~-]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

type Path = (string | number)[];

/** Every path into a JSON value (objects, arrays and leaves), root excluded. */
function paths(v: unknown, prefix: Path = []): Path[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => [[...prefix, i], ...paths(x, [...prefix, i])]);
  if (typeof v === 'object' && v !== null) return Object.entries(v).flatMap(([k, x]) => [[...prefix, k], ...paths(x, [...prefix, k])]);
  return [];
}

interface Mutation { at: number; op: 'replace' | 'delete' | 'extra' | 'dup'; value: unknown; key: string }

const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('replace', 'replace', 'delete', 'extra', 'dup'),
  value: nasty,
  key: fc.oneof(fc.constantFrom('__proto__', 'constructor', 'extra', 'v', 'type', 'token'), fc.string({ maxLength: 10 })),
});

function applyMutations(template: unknown, ms: Mutation[]): unknown {
  const root = { r: structuredClone(template) } as Record<string, unknown>;
  for (const m0 of ms) {
    // fast-check may hand out one object instance twice (constantFrom({})): copy it.
    const m = { ...m0, value: structuredClone(m0.value) };
    const all = paths(root.r).map((p) => ['r', ...p] as Path);
    const target: Path = all.length === 0 ? ['r'] : all[m.at % all.length]!;
    let parent: any = root;
    for (const k of target.slice(0, -1)) parent = parent[k];
    const last = target[target.length - 1]!;
    if (m.op === 'dup') {
      // Repeat an element or a field's value next to it: duplicated members, unsorted lists, count mismatches.
      if (Array.isArray(parent)) parent.splice(Number(last), 0, structuredClone(parent[Number(last)]));
      else parent[last] = [parent[last], parent[last]];
    } else if (m.op === 'replace') parent[last] = m.value;
    else if (m.op === 'delete') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else {
      const obj = parent[last];
      if (typeof obj === 'object' && obj !== null && !Array.isArray(obj)) {
        // An own "__proto__" key, as JSON.parse would make it.
        Object.defineProperty(obj, m.key, { value: m.value, enumerable: true, configurable: true, writable: true });
      } else parent[last] = m.value;
    }
  }
  return root.r;
}

// ---- the service under test -----------------------------------------------------------------

interface World {
  config: Config;
  tokens: Record<'alice' | 'bob' | 'carol' | 'expired' | 'revoked', string>;
  conversationId: string;
  otherConversationId: string;
  carolSessionId: string;
  templates: Map<string, unknown>;
}

describe('route fuzzing', () => {
  let testDb: TestDatabase;
  let database: DatabaseHandle;
  let server: Server;
  let req: Requester;
  let world: World;
  let revokedDeviceId = '';
  let identities: Record<'alice' | 'bob' | 'carol', Identity>;
  let largest: { conv: Awaited<ReturnType<typeof createConversation>>; alice: Identity };

  /** Fuzzing logout and DELETE /sessions revokes tokens: fresh sessions before each route. */
  async function refreshTokens(): Promise<void> {
    const origin = world.config.origins[0]!;
    world.tokens.alice = (await login(req, identities.alice, { origin })).token;
    world.tokens.bob = (await login(req, identities.bob, { origin })).token;
    const c = await login(req, identities.carol, { origin });
    world.tokens.carol = c.token;
    world.carolSessionId = c.sessionId;
  }
  const documented = new Set<string>([...apiMdCodes(), ...frameworkCodes()]);
  const seen = new Map<string, Set<string>>();

  beforeAll(async () => {
    testDb = await createTestDatabase('fuzz');
    database = openDatabase(testDb.url);
    // Rate limits high, so the fuzzer reaches the handlers instead of stopping at 429.
    const config = testConfig({ loginRateLimitPerMinute: 1_000_000, appendRateLimitPerMinute: 1_000_000_000 });
    server = await createServer(config, { database });
    await server.initialize();
    req = injector(server);
    const origin = config.origins[0]!;
    const [alice, bob, carol, dave] = await Promise.all((['alice', 'bob', 'carol', 'dave'] as const).map((n) => identity(n)));
    for (const id of [alice!, bob!, carol!]) await register(req, id);
    identities = { alice: alice!, bob: bob!, carol: carol! };
    const a = await login(req, alice!, { origin });
    const b = await login(req, bob!, { origin });
    const c = await login(req, carol!, { origin });
    const expired = await login(req, alice!, { origin });
    await testDb.query(`UPDATE sessions SET expires_at = now() - interval '1 hour' WHERE id = $1`, [expired.sessionId]);
    const revoked = await login(req, alice!, { origin });
    expect((await req('POST', '/api/v1/auth/logout', { token: revoked.token })).status).toBe(204);

    const conv = await createConversation(req, a.token, alice!, [bob!.public]);
    largest = { conv, alice: alice! };
    const other = await createConversation(req, c.token, carol!, [bob!.public]);
    const chain = new Chain(alice!, conv);
    const env1 = await chain.next('hello');
    const env2 = await chain.next('world');
    expect((await req('POST', `/api/v1/conversations/${conv.id}/messages`, { token: a.token, payload: { envelope: env1 } })).status).toBe(201);
    const { record: epoch1 } = await createEpoch({ conversationId: conv.id, epoch: 1, creator: alice!, members: [alice!.public, bob!.public], previous: conv.record });
    const { record: fresh0 } = await createEpoch({ conversationId: crypto.randomUUID(), epoch: 0, creator: alice!, members: [alice!.public, bob!.public], previous: null });
    const ch = (await req('POST', '/api/v1/auth/challenge', { payload: { userId: 'alice', origin } })).json;
    const proof = await signLoginProof(alice!, { nonce: ch.nonce, origin });
    // Devices: a certificate alice may publish, and a revocation of ANOTHER device (so no session the fuzzer uses ends).
    const dk = await createDeviceKey();
    const cert = await certifyDevice(alice!, { deviceId: dk.deviceId, deviceKey: dk.publicKey, createdAt: 1 });
    revokedDeviceId = crypto.randomUUID();
    const revocation = await revokeDevice(alice!, { deviceId: revokedDeviceId, createdAt: 1, lastSeen: [] });

    world = {
      config,
      tokens: { alice: a.token, bob: b.token, carol: c.token, expired: expired.token, revoked: revoked.token },
      conversationId: conv.id,
      otherConversationId: other.id,
      carolSessionId: c.sessionId,
      templates: new Map<string, unknown>([
        ['POST /api/v1/users', { userName: 'Dave', identity: dave!.public, proof: await signRegistration(dave!) }],
        ['POST /api/v1/auth/challenge', { userId: 'alice', origin }],
        ['POST /api/v1/auth/login', { challengeId: ch.challengeId, proof, deviceName: 'fuzz' }],
        // The current keys again (200): a rotation the fuzzer completed would lock the test out of alice.
        ['POST /api/v1/users/me/keys', { identity: alice!.public, proof: await signRegistration(alice! as Identity), challengeId: crypto.randomUUID(), signature: 'A'.repeat(86) }],
        ['POST /api/v1/users/me/challenge', { purpose: 'rotate' }],
        ['POST /api/v1/users/me/reset', { identity: dave!.public, proof: await signRegistration(dave!) }],
        ['POST /api/v1/users/me/reset/{resetId}/complete', {}],
        ['DELETE /api/v1/sessions/{sessionId}', { challengeId: crypto.randomUUID(), signature: 'A'.repeat(86) }],
        ['DELETE /api/v1/users/me/reset/{resetId}', { challengeId: crypto.randomUUID(), signature: 'A'.repeat(86) }],
        ['POST /api/v1/conversations', { epochRecord: fresh0 as EpochRecord }],
        ['POST /api/v1/conversations/{id}/epochs', { epochRecord: epoch1 }],
        ['POST /api/v1/conversations/{id}/messages', { envelope: env2 as Envelope }],
        ['POST /api/v1/messages/batch', { envelopes: [env1, env2] }],
        ['POST /api/v1/sync', { cursors: { [conv.id]: 0, [other.id]: 0 }, limit: 10 }],
        ['POST /api/v1/blocks/{userId}', {}],
        ['POST /api/v1/devices', { certificate: cert }],
        ['PUT /api/v1/devices/{deviceId}/revocation', { revocation }],
        ['POST /api/v1/conversations/{id}/blobs', { blobId: crypto.randomUUID(), chunks: 2 }],
        ['POST /api/v1/conversations/{id}/blobs/{blobId}/finish', { messageId: crypto.randomUUID() }],
        ['POST /api/v1/device-links', { publicKey: (await newLinkKey()).publicKey }],
        ['POST /api/v1/device-links/{locator}/receive', { token: 'A'.repeat(43) }],
        ['PUT /api/v1/device-links/{locator}/handover', { handover: { v: 1, publicKey: (await newLinkKey()).publicKey, iv: 'A'.repeat(16), ciphertext: 'A'.repeat(200) } }],
      ]),
    };
  });

  afterAll(async () => {
    await server?.stop();
    await database?.close();
    await testDb?.drop();
  });

  function paramValues(name: string): fc.Arbitrary<string> {
    const known: Record<string, string[]> = {
      id: [world.conversationId, world.otherConversationId],
      userId: ['alice', 'bob', 'nobody-here'],
      sessionId: [world.carolSessionId, crypto.randomUUID()],
      deviceId: [revokedDeviceId, crypto.randomUUID()],
      blobId: [crypto.randomUUID()],
      index: ['0', '1', '1600'],
      locator: ['AB12', 'ZZZZ', 'ab12'],
    };
    return fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...(known[name] ?? ['x'])).map(enc) },
      { weight: 3, arbitrary: fc.oneof(unicode, badBase64, fc.uuid(), fc.string({ maxLength: 300 })).map(enc) },
      { weight: 1, arbitrary: hugeString.map((s) => s.slice(0, 10_000)) },
      // Raw, not encoded: dot segments, bad percent escapes, NUL, a path inside the path.
      { weight: 1, arbitrary: fc.constantFrom('%ZZ', '%', '%00', '..', '.%2e', 'a/b', '%2e%2e%2f', '%C0%AF', '%FF%FE') },
    );
  }

  function requestFor(route: RequestRoute) {
    const template = world.templates.get(`${route.method.toUpperCase()} ${route.path}`);
    const names = [...route.path.matchAll(/\{(\w+)\*?\??\}/g)].map((m) => m[1]!);
    const t = world.tokens;
    const auth = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(`Bearer ${t.alice}`, `Bearer ${t.bob}`, `Bearer ${t.carol}`) },
      { weight: 2, arbitrary: fc.constantFrom(`Bearer ${t.expired}`, `Bearer ${t.revoked}`, undefined, '', 'Bearer', `bearer ${t.alice}`, `Basic ${t.alice}`, `Bearer ${t.alice} x`) },
      { weight: 2, arbitrary: fc.oneof(badBase64, unicode, fc.stringMatching(/^[A-Za-z0-9_-]{43}$/)).map((s) => `Bearer ${s}`) },
      { weight: 1, arbitrary: hugeString.map((s) => `Bearer ${s.slice(0, 20_000)}`) },
    );
    const body = template === undefined
      ? fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 3 }), nasty)
      : fc.oneof(
        { weight: 6, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ms) => applyMutations(template, ms)) },
        { weight: 1, arbitrary: fc.constant(template) },
        { weight: 1, arbitrary: fc.constant(undefined) },
        { weight: 2, arbitrary: nasty },
      );
    const raw = fc.oneof(
      { weight: 24, arbitrary: fc.constant(null) }, // send `body` as JSON
      { weight: 1, arbitrary: fc.constantFrom('{', '{"a":', '[1,2', 'null', '"x"', '{"__proto__":{"x":1}}', '\u0000', '{"envelope":' + '['.repeat(5000)) },
      { weight: 1, arbitrary: fc.integer({ min: 2_000_000, max: 2_200_000 }).map((n) => `{"x":"${'A'.repeat(n)}"}`) },
    );
    const contentType = fc.oneof(
      { weight: 8, arbitrary: fc.constant('application/json') },
      { weight: 1, arbitrary: fc.constantFrom(undefined, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1') },
    );
    const query = fc.option(
      fc.dictionary(fc.oneof(fc.constantFrom('after', 'limit', 'after[]', '__proto__'), fc.string({ maxLength: 5 })), fc.oneof(fc.string({ maxLength: 20 }), number.map(String), unicode), { maxKeys: 3 }),
      { nil: undefined },
    );
    const method = fc.oneof({ weight: 9, arbitrary: fc.constant(route.method.toUpperCase()) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS') });
    const params = fc.tuple(...names.map((n) => paramValues(n)));
    return fc.record({ method, params, auth, body, raw, contentType, query, origin: fc.option(fc.constantFrom('http://evil.example', world.config.origins[0]!, 'null'), { nil: undefined }) })
      .map((r) => {
        let i = 0;
        let url = route.path.replace(/\{(\w+)\*?\??\}/g, () => (r.params as string[])[i++] ?? '');
        if (r.query) url += '?' + Object.entries(r.query).map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
        const headers: Record<string, string> = {};
        if (r.auth !== undefined) headers.authorization = r.auth;
        if (r.contentType !== undefined) headers['content-type'] = r.contentType;
        if (r.origin !== undefined) headers.origin = r.origin;
        const payload = r.raw ?? (r.body === undefined || r.method === 'GET' ? undefined : JSON.stringify(r.body));
        return { method: r.method, url, headers, payload };
      });
  }

  /**
   * A rejected batch item carries the code the single append would have answered
   * (API.md lists none for the batch itself): those of POST …/messages.
   */
  let batchItemCodes = new Set<string>();

  async function check(route: RequestRoute, allowed: Set<string>, r: { method: string; url: string; headers: Record<string, string>; payload: string | undefined }): Promise<void> {
    let res;
    try {
      res = await server.inject({ method: r.method, url: r.url, headers: r.headers, payload: r.payload });
    } catch (error) {
      // inject refuses URLs no client could send (e.g. invalid characters): not the service's answer.
      if (error instanceof TypeError || (error as Error).message?.includes('Invalid URL')) return;
      throw error;
    }
    const where = `${r.method} ${r.url.slice(0, 200)} -> ${res.statusCode} ${res.payload.slice(0, 300)}`;
    expect(res.statusCode, where).toBeLessThan(500);
    if (res.statusCode >= 400) {
      expect(String(res.headers['content-type']), where).toMatch(/^application\/json/);
      const json = JSON.parse(res.payload);
      expect(json, where).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
      expect(allowed.has(json.error.code) ? json.error.code : `undocumented: ${json.error.code}`, where).toBe(json.error.code);
      const codes = seen.get(`${route.method} ${route.path}`) ?? new Set();
      codes.add(`${res.statusCode} ${json.error.code}`);
      seen.set(`${route.method} ${route.path}`, codes);
    } else if (route.path.startsWith('/api/') && res.statusCode !== 204) {
      const json = JSON.parse(res.payload);
      // The batch route answers 200 with a per-envelope error: those codes are documented too.
      for (const item of Array.isArray(json?.results) ? json.results : []) {
        if (item.status !== 'rejected') continue;
        expect(batchItemCodes.has(item.error?.code) ? item.error.code : `undocumented: ${item.error?.code}`, where).toBe(item.error?.code);
        const codes = seen.get(`${route.method} ${route.path}`) ?? new Set();
        codes.add(`batch ${item.error.code}`);
        seen.set(`${route.method} ${route.path}`, codes);
      }
    }
  }

  it(`enumerates the routes at run time (${'every route of server.table()'})`, () => {
    const table = server.table();
    expect(table.length).toBeGreaterThanOrEqual(15);
    // Every API route with a body has a valid template to mutate, so the fuzzer reaches its handler.
    for (const r of table) {
      if (r.method === 'post' && r.path.startsWith('/api/') && r.path !== '/api/v1/auth/logout') {
        expect(world.templates.has(`POST ${r.path}`), `no fuzz template for POST ${r.path}: add one`).toBe(true);
      }
    }
  });

  it(`every route, ${RUNS} generated requests each: no 5xx, only documented JSON error codes, healthy afterwards`, async () => {
    const table = server.table();
    const single = table.find((r) => r.method === 'post' && r.path === '/api/v1/conversations/{id}/messages');
    batchItemCodes = new Set([...documented, ...(single ? routeCodes(single) : [])]);
    let total = 0;
    for (const route of table) {
      await refreshTokens();
      const t0 = Date.now();
      const allowed = new Set([...documented, ...routeCodes(route)]);
      await fc.assert(
        fc.asyncProperty(requestFor(route), async (r) => {
          total++;
          await check(route, allowed, r);
        }),
        { numRuns: RUNS, seed: SEED },
      );
      if (process.env.FUZZ_TIMING) console.log(`${route.method} ${route.path}: ${Date.now() - t0} ms`);
      const health = await server.inject('/healthz');
      expect(health.statusCode, `after fuzzing ${route.method} ${route.path}`).toBe(200);
    }
    expect(total).toBeGreaterThanOrEqual(RUNS * table.length);
  }, 1_800_000);

  it('the WebSocket: a junk first message is refused with a named error and close code, a valid one gets ready; every later message gets one answer', async () => {
    await server.stop();
    server = await createServer(world.config, { database });
    await server.start();
    req = injector(server);
    const port = server.info.port;
    const url = `ws://127.0.0.1:${port}/api/v1/ws`;
    const origin = `http://127.0.0.1:${port}`;
    // The configured origins name port 0 (testConfig); allow this listener's.
    world.config.origins.push(origin);
    await refreshTokens();
    const t = world.tokens;
    const first = fc.oneof(
      { weight: 4, arbitrary: fc.record({ type: fc.oneof(fc.constant('auth'), nasty), token: fc.oneof(fc.constantFrom(t.alice, t.expired, t.revoked), nasty), cursors: fc.oneof(fc.constant({ [world.conversationId]: 0 }), fc.dictionary(fc.string(), nasty, { maxKeys: 3 }), nasty) }, { requiredKeys: [] }).map((o) => JSON.stringify(o)) },
      { weight: 2, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null') },
      { weight: 1, arbitrary: fc.oneof(unicode, badBase64, fc.constantFrom('', '{', 'null', '[]')) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) },
      { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 1_100_000 }).map((n) => JSON.stringify({ type: 'auth', token: t.alice, cursors: { x: 'A'.repeat(n) } })) },
    );
    // Regression (found by this fuzzer on its first run, fixed in 066f0fd): a first message
    // that is not JSON, or a binary frame, passed the optional joi schema as `undefined`
    // and threw in the 'message' handler: an uncaught exception that killed the service.
    for (const junk of ['not json', Buffer.from([0xff, 0x00]), '', 'null']) {
      const v = await wsExchange(url, origin, junk);
      expect(v).toEqual({ kind: 'invalid_message', close: 4400 });
    }
    expect((await server.inject('/healthz')).statusCode).toBe(200);
    const verdicts = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(first, async (msg) => {
        const v = await wsExchange(url, origin, msg);
        verdicts.set(v.kind, (verdicts.get(v.kind) ?? 0) + 1);
        expect(['ready', 'invalid_message', 'unauthorized', 'too-big'], JSON.stringify(v)).toContain(v.kind);
        if (v.kind === 'invalid_message') expect(v.close).toBe(4400);
        if (v.kind === 'unauthorized') expect(v.close).toBe(4401);
      }),
      { numRuns: WS_RUNS, seed: SEED },
    );
    // After a valid first message, every later message (junk or not) gets one answer and the socket stays.
    const laterJunk = fc.sample(fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'), unicode, badBase64,
      fc.constantFrom(JSON.stringify({ type: 'ping' }), JSON.stringify({ type: 'auth', token: t.alice }), '{'),
    ), { numRuns: WS_RUNS, seed: SEED });
    const laterAnswers = await wsExchange(url, origin, JSON.stringify({ type: 'auth', token: t.alice, cursors: {} }), laterJunk);
    expect(laterAnswers.kind).toBe('ready');
    expect(laterAnswers.later!.length).toBe(laterJunk.length);
    for (const [i, a] of (laterAnswers.later as { type: string; code?: string }[]).entries()) {
      expect(a, laterJunk[i]).toEqual(laterJunk[i] === JSON.stringify({ type: 'ping' }) ? { type: 'pong', v: 1 } : { type: 'error', code: 'invalid_message', v: 1 });
    }
    // The valid first message is accepted; after it, junk gets an error message but the socket stays.
    const ok = await wsExchange(url, origin, JSON.stringify({ type: 'auth', token: t.alice, cursors: {} }), ['{', JSON.stringify({ type: 'ping' })]);
    expect(ok.kind).toBe('ready');
    expect(ok.later).toEqual([{ type: 'error', code: 'invalid_message', v: 1 }, { type: 'pong', v: 1 }]);
    expect((await server.inject('/healthz')).statusCode).toBe(200);
  }, 600_000);

  it('accepts the largest message the protocol makes (8,000 characters, 64 KiB bucket), alone and in a batch', async () => {
    await refreshTokens();
    const chain = new Chain(largest.alice, largest.conv);
    chain.counter = 1_000_000; // a chain of its own, after anything the fuzzer stored
    chain.prevHash = 'f'.repeat(64);
    const one = await chain.next('\u0001'.repeat(8000));
    const two = await chain.next('界'.repeat(8000));
    expect(JSON.stringify(one).length).toBeGreaterThan(65_536);
    const single = await req('POST', `/api/v1/conversations/${largest.conv.id}/messages`, { token: world.tokens.alice, payload: { envelope: one } });
    expect([single.status, single.json]).toEqual([201, { seq: expect.any(Number), duplicate: false }]);
    const batch = await req('POST', '/api/v1/messages/batch', { token: world.tokens.alice, payload: { envelopes: [one, two] } });
    expect(batch.json.results.map((r: { status: string }) => r.status)).toEqual(['duplicate', 'stored']);
  });

  it('the fuzzer got past validation into the handlers (it saw their error codes)', () => {
    const codes = new Set([...seen.values()].flatMap((s) => [...s].map((c) => c.split(' ')[1]!)));
    for (const c of ['invalid_request', 'invalid_json', 'payload_too_large', 'unsupported_media_type', 'unauthorized', 'not_found', 'invalid_envelope', 'invalid_epoch_record', 'bad_proof']) {
      expect(codes.has(c) ? c : `never saw ${c}`).toBe(c);
    }
  });
});

type WsVerdict = { kind: string; close?: number; later?: unknown[] };

/** Open a socket, send `first`, wait for the verdict (ready, or error + close). */
function wsExchange(url: string, origin: string, first: string | Buffer, later: string[] = []): Promise<WsVerdict> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { origin } });
    let verdict: WsVerdict | null = null;
    const laterAnswers: unknown[] = [];
    ws.on('open', () => ws.send(first));
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { type: string; code?: string };
      if (verdict?.kind === 'ready') {
        if (msg.type === 'entry' || msg.type === 'conversation') return;
        laterAnswers.push(msg);
        if (laterAnswers.length === later.length) {
          verdict.later = laterAnswers;
          ws.close();
        }
        return;
      }
      if (msg.type === 'ready') {
        verdict = { kind: 'ready' };
        if (later.length === 0) ws.close();
        else for (const l of later) ws.send(l);
      } else if (msg.type === 'error') verdict = { kind: msg.code ?? 'error' };
    });
    ws.on('close', (code) => {
      if (!verdict) {
        // ws's maxPayload (1 MiB) closes with 1009 before the service reads the message.
        if (code === 1009) return resolve({ kind: 'too-big', close: code });
        return reject(new Error(`closed ${code} without a verdict`));
      }
      resolve({ ...verdict, close: verdict.close ?? code });
    });
    ws.on('error', (e) => { if (!verdict) reject(e); });
  });
}
