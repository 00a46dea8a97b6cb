// Web Push (issue 16; SPEC NOTE1, SECURITY.md NOTE4/NOTE5): the service's real web-push
// library against a fake push service on this machine, an HTTPS server that takes the
// encrypted request as a browser vendor's would. The test holds the browser's side of
// RFC 8291 (its P-256 key and auth secret), decrypts every push with code of its own and
// checks the VAPID (RFC 8292) token against the service's public key.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createDecipheriv, createECDH, createPublicKey, hkdfSync, randomBytes, verify, type ECDH } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import webpush from 'web-push';
import type { Identity } from '../../protocol/src/index.ts';
import { identity } from '../../test/support/identities.ts';
import { call, createConversation, login, register, send, startApp, type Conv, type TestApp } from '../../test/support/service.ts';
import { PUSH_PAYLOAD, PushSender, allowedEndpoint } from '../src/services/push-sender.ts';
import { testConfig } from '../src/config.ts';
import { ensureVapidKeys } from '../../scripts/vapid-keys.ts';

// ---- the browser's side of a subscription and the fake push service ---------------------

const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');

class Browser {
  readonly ecdh: ECDH = createECDH('prime256v1');
  readonly auth = randomBytes(16);
  constructor(readonly endpoint: string) {
    this.ecdh.generateKeys();
  }
  subscription() {
    return { endpoint: this.endpoint, expirationTime: null, keys: { p256dh: b64u(this.ecdh.getPublicKey()), auth: b64u(this.auth) } };
  }

  /** RFC 8291 §3.4 and RFC 8188, written here from the RFCs (not the library's code). */
  decrypt(body: Buffer): Buffer {
    const salt = body.subarray(0, 16);
    const rs = body.readUInt32BE(16);
    const idlen = body[20]!;
    const asPublic = body.subarray(21, 21 + idlen);
    const records = body.subarray(21 + idlen);
    expect(idlen).toBe(65);
    expect(records.length).toBeLessThanOrEqual(rs); // one record
    const ecdhSecret = this.ecdh.computeSecret(asPublic);
    const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), this.ecdh.getPublicKey(), asPublic]);
    const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, this.auth, keyInfo, 32));
    const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
    const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
    const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
    decipher.setAuthTag(records.subarray(records.length - 16));
    const padded = Buffer.concat([decipher.update(records.subarray(0, records.length - 16)), decipher.final()]);
    let end = padded.length - 1;
    while (end > 0 && padded[end] === 0) end--;
    expect(padded[end]).toBe(2); // the last record's delimiter
    return padded.subarray(0, end);
  }
}

interface Received { path: string; headers: Record<string, string | string[] | undefined>; body: Buffer }

class FakePushService {
  server!: https.Server;
  cert!: Buffer;
  origin = '';
  received: Received[] = [];
  /** Requests answered or given up by the sender (its timeout). */
  finished = 0;
  /** Per path: the status to answer (201 by default), or 'hold' to never answer until released. */
  answers = new Map<string, number | 'hold'>();
  private held: (() => void)[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];
  private dir = '';

  async start(): Promise<void> {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'mh-push-'));
    const certFile = path.join(this.dir, 'cert.pem');
    const keyFile = path.join(this.dir, 'key.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-keyout', keyFile, '-out', certFile,
    ], { stdio: 'ignore' });
    this.cert = readFileSync(certFile);
    this.server = https.createServer({ cert: this.cert, key: readFileSync(keyFile) }, (req, res) => {
      res.on('close', () => this.finished++);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
        for (const w of this.waiters.filter((w) => this.received.length >= w.n)) w.resolve();
        const answer = this.answers.get(req.url ?? '') ?? 201;
        const reply = () => res.writeHead(answer === 'hold' ? 201 : answer).end();
        if (answer === 'hold') this.held.push(reply);
        else reply();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `https://localhost:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves once `n` pushes in all have arrived. */
  arrived(n: number): Promise<void> {
    if (this.received.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  release(): void {
    for (const r of this.held.splice(0)) r();
  }

  async stop(): Promise<void> {
    this.release();
    await new Promise((resolve) => this.server.close(resolve));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** RFC 8292: `vapid t=<JWT>, k=<public key>`, the JWT ES256-signed by that key, for this audience. */
function checkVapid(header: string | undefined, publicKey: string, audience: string): { sub: string } {
  const m = /^vapid t=([^,]+), k=([A-Za-z0-9_-]+)$/.exec(header ?? '');
  expect(m, `Authorization: ${header}`).not.toBeNull();
  expect(m![2]).toBe(publicKey);
  const [h, p, s] = m![1]!.split('.');
  const point = Buffer.from(publicKey, 'base64url');
  const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64u(point.subarray(1, 33)), y: b64u(point.subarray(33)) }, format: 'jwk' });
  expect(verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s!, 'base64url'))).toBe(true);
  expect(JSON.parse(Buffer.from(h!, 'base64url').toString())).toMatchObject({ alg: 'ES256', typ: 'JWT' });
  const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as { aud: string; exp: number; sub: string };
  expect(claims.aud).toBe(audience);
  expect(claims.exp * 1000).toBeGreaterThan(Date.now());
  return claims;
}

// ---- the service -----------------------------------------------------------------------

const vapid = webpush.generateVAPIDKeys();
const push = new FakePushService();
let app: TestApp;
let alice: Identity, bob: Identity, carol: Identity;
let t: { alice: string; bob: string; carol: string };
let conv: Conv;
const sub = (token: string, browser: Browser) => call(app.server, 'PUT', '/api/v1/push/subscription', { token, payload: browser.subscription() });
const settled = () => app.server.app.pushSender!.idle();
const rows = async () => (await app.testDb.query<{ endpoint: string }>('SELECT endpoint FROM push_subscriptions ORDER BY endpoint')).rows.map((r) => r.endpoint);

beforeAll(async () => {
  await push.start();
  app = await startApp({
    config: { vapid: { ...vapid, subject: 'mailto:ops@example.org' }, pushEndpointHosts: ['localhost'] },
    deps: { push: { agent: new https.Agent({ ca: push.cert }) } },
  });
  [alice, bob, carol] = await Promise.all([identity('alice'), identity('bob'), identity('carol')]);
  for (const id of [alice, bob, carol]) await register(app.server, id);
  t = { alice: (await login(app.server, alice)).token, bob: (await login(app.server, bob)).token, carol: (await login(app.server, carol)).token };
  conv = await createConversation(app.server, t.alice, alice, [alice, bob, carol]);
});
afterAll(async () => {
  await app?.close();
  await push.stop();
});
beforeEach(async () => {
  await app.testDb.query('DELETE FROM push_subscriptions');
  await app.testDb.query('DELETE FROM blocks');
  push.received = [];
  push.answers.clear();
});

describe('Web Push routes', () => {
  it('serves the VAPID public key without a session, and 404 push_unavailable on a service without keys', async () => {
    const key = await call(app.server, 'GET', '/api/v1/push/vapid-key');
    expect([key.status, key.json.publicKey]).toEqual([200, vapid.publicKey]);
    const bare = await startApp();
    try {
      const none = await call(bare.server, 'GET', '/api/v1/push/vapid-key');
      expect([none.status, none.json.error.code]).toEqual([404, 'push_unavailable']);
      const { token } = await login(bare.server, alice).catch(async () => {
        await register(bare.server, alice);
        return login(bare.server, alice);
      });
      const put = await call(bare.server, 'PUT', '/api/v1/push/subscription', { token, payload: new Browser(`${push.origin}/x`).subscription() });
      expect([put.status, put.json.error.code]).toEqual([404, 'push_unavailable']);
    } finally {
      await bare.close();
    }
  });

  it('stores one subscription per session (a new one replaces it), needs a session, validates keys, and DELETE removes it', async () => {
    const b1 = new Browser(`${push.origin}/bob-1`);
    expect((await call(app.server, 'PUT', '/api/v1/push/subscription', { payload: b1.subscription() })).status).toBe(401);
    expect((await sub(t.bob, b1)).status).toBe(201);
    expect((await sub(t.bob, b1)).status).toBe(200);
    const b2 = new Browser(`${push.origin}/bob-2`);
    expect((await sub(t.bob, b2)).status).toBe(200);
    expect(await rows()).toEqual([`${push.origin}/bob-2`]);
    const bad = await call(app.server, 'PUT', '/api/v1/push/subscription', { token: t.bob, payload: { ...b2.subscription(), keys: { p256dh: 'abc', auth: b64u(b2.auth) } } });
    expect([bad.status, bad.json.error.code]).toEqual([400, 'invalid_request']);
    expect((await call(app.server, 'DELETE', '/api/v1/push/subscription', { token: t.bob })).status).toBe(204);
    expect(await rows()).toEqual([]);
    expect((await call(app.server, 'DELETE', '/api/v1/push/subscription', { token: t.bob })).status).toBe(204);
  });

  it('NOTE4: an endpoint that is not https on an allowed push service host is refused (the service would POST to it)', async () => {
    for (const endpoint of [
      `http://localhost:${new URL(push.origin).port}/x`,
      'https://169.254.169.254/latest/meta-data',
      'https://localhost.evil.example/x',
      'https://evil.example/localhost',
      `https://user:pw@localhost:${new URL(push.origin).port}/x`,
      'not a url',
    ]) {
      const res = await sub(t.bob, new Browser(endpoint));
      expect([endpoint, res.status, res.json.error.code]).toEqual([endpoint, 400, 'invalid_push_endpoint']);
    }
    expect(await rows()).toEqual([]);
    expect(allowedEndpoint('https://fcm.googleapis.com/fcm/send/abc', ['fcm.googleapis.com'])).toBe(true);
    expect(allowedEndpoint('https://web.push.apple.com/abc', ['push.apple.com'])).toBe(true);
    expect(allowedEndpoint('https://fcm.googleapis.com.evil.example/abc', ['fcm.googleapis.com'])).toBe(false);
  });
});

describe('pushes after an append', () => {
  it('NOTE1: each other member gets one push whose RFC 8291 body decrypts to only "new messages": no sender, conversation or text; VAPID-signed', async () => {
    const bob1 = new Browser(`${push.origin}/bob`);
    const carol1 = new Browser(`${push.origin}/carol`);
    const alice1 = new Browser(`${push.origin}/alice`);
    for (const [token, browser] of [[t.bob, bob1], [t.carol, carol1], [t.alice, alice1]] as const) expect((await sub(token, browser)).status).toBe(201);
    const text = 'meet me at the old mill at nine';
    expect((await send(app.server, t.alice, conv, await conv.seal(alice, text))).status).toBe(201);
    await push.arrived(2);
    await settled();
    // The sender's own subscription is not woken.
    expect(push.received.map((r) => r.path).sort()).toEqual(['/bob', '/carol']);
    for (const r of push.received) {
      const browser = r.path === '/bob' ? bob1 : carol1;
      expect(r.headers['content-encoding']).toBe('aes128gcm');
      expect(r.headers.topic).toBe('new-messages');
      expect(Number(r.headers.ttl)).toBeGreaterThan(0);
      expect(checkVapid(r.headers.authorization as string, vapid.publicKey, push.origin).sub).toBe('mailto:ops@example.org');
      const plain = browser.decrypt(r.body).toString('utf8');
      expect(plain).toBe(PUSH_PAYLOAD);
      expect(JSON.parse(plain)).toEqual({ v: 1, type: 'new-messages' });
      for (const secret of [conv.id, 'alice', text, 'mill']) expect(plain).not.toContain(secret);
      // Nothing in the clear either: not in the path, the headers or the ciphertext.
      expect(JSON.stringify(r.headers) + r.path + r.body.toString('latin1')).not.toContain(conv.id);
    }
  });

  it('NOTE5: a subscription the push service calls gone (410, 404) is deleted; a logged-out session and a blocker are not woken', async () => {
    const gone = new Browser(`${push.origin}/gone`);
    const missing = new Browser(`${push.origin}/missing`);
    push.answers.set('/gone', 410);
    push.answers.set('/missing', 404);
    expect((await sub(t.bob, gone)).status).toBe(201);
    expect((await sub(t.carol, missing)).status).toBe(201);
    await send(app.server, t.alice, conv, await conv.seal(alice, 'one'));
    await push.arrived(2);
    await settled();
    expect(app.server.app.pushSender!.stats.gone).toBeGreaterThanOrEqual(2);
    expect(await rows()).toEqual([]);

    // carol blocks alice: no push for alice's messages. bob's second session logs out: none for it.
    const bob2 = await login(app.server, bob);
    expect((await sub(bob2.token, new Browser(`${push.origin}/bob-2`))).status).toBe(201);
    expect((await sub(t.carol, new Browser(`${push.origin}/carol`))).status).toBe(201);
    expect((await sub(t.bob, new Browser(`${push.origin}/bob-1`))).status).toBe(201);
    expect((await call(app.server, 'POST', '/api/v1/blocks/alice', { token: t.carol })).status).toBe(201);
    expect((await call(app.server, 'POST', '/api/v1/auth/logout', { token: bob2.token })).status).toBeLessThan(300);
    push.received = [];
    await send(app.server, t.alice, conv, await conv.seal(alice, 'two'));
    await push.arrived(1);
    await settled();
    expect(push.received.map((r) => r.path)).toEqual(['/bob-1']);
  });

  it('an append is answered while its push is still in flight: a push service that never answers does not hold it up', async () => {
    expect((await sub(t.bob, new Browser(`${push.origin}/slow`))).status).toBe(201);
    push.answers.set('/slow', 'hold');
    push.finished = 0;
    for (const body of ['a', 'b', 'c']) {
      const res = await send(app.server, t.alice, conv, await conv.seal(alice, body));
      expect(res.status).toBe(201);
    }
    // Every append was answered while no push request had been answered or given up.
    expect(push.finished).toBe(0);
    await push.arrived(1);
    expect(push.finished).toBe(0);
    push.answers.set('/slow', 201);
    push.release();
    await settled();
    expect(push.finished).toBeGreaterThanOrEqual(1);
  });
});

describe('VAPID keys for npm start', () => {
  it('makes a pair once, keeps it (mode 0600) and reads the same pair on the next start; configured keys win', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mh-vapid-'));
    try {
      const config = testConfig({ dataDir: path.join(dir, 'postgres') });
      const first = ensureVapidKeys(config);
      expect(first.created).toBe(true);
      expect(first.config.vapid!.publicKey).toMatch(/^B[A-Za-z0-9_-]{86}$/);
      expect(statSync(path.join(dir, 'vapid.json')).mode & 0o777).toBe(0o600);
      const again = ensureVapidKeys(config);
      expect([again.created, again.config.vapid]).toEqual([false, first.config.vapid]);
      const mine = { ...vapid, subject: 'mailto:x@example.org' };
      expect(ensureVapidKeys({ ...config, vapid: mine }).config.vapid).toBe(mine);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('PushSender queue', () => {
  it('is bounded: one waiting push per subscription, conversations and pushes beyond the limits are dropped and counted', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const looked: string[][] = [];
    const sender = new PushSender(
      {
        vapid: { ...vapid, subject: 'mailto:ops@example.org' },
        async targets(conversationIds) {
          looked.push(conversationIds);
          await gate;
          if (looked.length > 1) return [];
          return [1, 2, 3].map((i) => ({ endpoint: `https://127.0.0.1:9/${i}`, p256dh: new Browser('x').subscription().keys.p256dh, auth: b64u(randomBytes(16)) }));
        },
        removeEndpoint: async () => undefined,
      },
      { maxPendingConversations: 2, maxQueued: 2, concurrency: 1, timeoutMs: 2000 },
    );
    const entry = (conversationId: string) => ({ conversationId, seq: 1, senderPk: 1, body: '{}', createdAt: new Date() });
    sender.onStored([entry('c1')]); // looked up at once, held by the gate
    sender.onStored([entry('c2'), entry('c3'), entry('c4'), entry('c2')]);
    expect(sender.stats.dropped).toBe(1); // c4: two conversations already wait
    release();
    await sender.close();
    expect(looked).toEqual([['c1'], ['c2', 'c3']]);
    // Three subscriptions to wake, two may wait: one more dropped.
    expect(sender.stats.dropped).toBe(2);
    expect(sender.stats.sent).toBe(0);
    expect(sender.stats.failed).toBe(2); // nothing listens on 127.0.0.1:9
  });
});
