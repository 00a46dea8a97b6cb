// Linking a device from another device against the REAL relay (protocol LINK1..LINK6,
// sync-service/src/plugins/device-links): the product's link service (pwa/src/services/
// link.ts) on both ends, talking to the service in process through a fetch that can lie
// (the attacker of THREATS.md: it rewrites any answer but holds no client key). The relay
// stores only a public key and ciphertext, cannot slip its own key in, and spends a slot
// on its first handover and its first reading.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint, newLinkKey, type LinkHandover } from '../../protocol/src/index.ts';
import { Api } from '../../pwa/src/services/api.ts';
import { LinkFailed, LinkReceiver, currentKeyFile, sendLink } from '../../pwa/src/services/link.ts';
import { call, login, register, startApp, type TestApp } from '../support/service.ts';
import { identity, publicOf } from '../support/identities.ts';
import { lyingFetch, type Lie, type Traffic } from './support/lying-server.ts';

const BASE = 'http://localhost:8080';
const KEY_FILE = JSON.stringify({ format: 'messagehub-keyfile', version: 1, userId: 'alice', public: publicOf('alice'), iv: 'AAAAAAAAAAAAAAAA', ciphertext: 'S'.repeat(300) });

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof LinkFailed) return e.reason;
    throw e;
  }
  return 'no failure';
}

describe('linking a device over the real relay', () => {
  let app: TestApp;
  let aliceToken = '';
  let bobToken = '';
  let carolToken = '';
  let handover: LinkHandover;
  const traffic: Traffic[] = [];
  const lies: Lie[] = [];
  /** alice's existing device, and a new device (not signed in), both through the lying fetch. */
  const existing = (token = () => aliceToken) => new Api({ baseUrl: BASE, token, fetch: lyingFetch(app.server, lies, traffic, BASE) });
  const fresh = () => new Api({ baseUrl: BASE, fetch: lyingFetch(app.server, lies, traffic, BASE) });

  beforeAll(async () => {
    app = await startApp({ config: { loginRateLimitPerMinute: 12 } });
    const [alice, bob, carol] = await Promise.all([identity('alice'), identity('bob'), identity('carol')]);
    for (const id of [alice, bob, carol]) await register(app.server, id);
    aliceToken = (await login(app.server, alice)).token;
    bobToken = (await login(app.server, bob)).token;
    carolToken = (await login(app.server, carol)).token;
    handover = { v: 1, type: 'link-handover', userId: 'alice', accountFingerprint: await fingerprint(alice.public), keyFile: KEY_FILE, createdAt: Date.now() };
  });
  afterAll(async () => app?.close());

  it('LINK2, LINK3, LINK5: the new device opens the handover once; the relay held only its public key and ciphertext', async () => {
    const receiver = await LinkReceiver.start(fresh());
    expect(receiver.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{12}$/);
    expect(receiver.qrPayload).toBe(`MESSAGEHUB-LINK:${receiver.code}`);
    expect(await receiver.poll()).toBeNull();
    await sendLink(existing(), receiver.code.toLowerCase().replace(/(....)(....)/, '$1-$2-'), handover);
    // What the relay stored: no key file, no code secret, no check.
    const { rows } = await app.testDb.query<{ row: string }>('SELECT row_to_json(d)::text AS row FROM device_links d');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.row).not.toContain('SSSSSSSSSS');
    expect(rows[0]!.row).not.toContain(receiver.code.slice(4));
    expect(await receiver.poll()).toEqual(handover);
    // Read once: the slot is gone, and this receiver's key with it.
    expect((await app.testDb.query('SELECT 1 FROM device_links')).rows).toHaveLength(0);
    expect(await failure(receiver.poll())).toBe('used');
  });

  it('LINK2: a relay that gives its own key for the slot is caught before anything is sealed; nothing is sent', async () => {
    const receiver = await LinkReceiver.start(fresh());
    const mallory = await newLinkKey();
    const substitute: Lie = (req, res) => {
      if (req.method === 'GET' && req.path.startsWith('/api/v1/device-links/') && res.status === 200) return { status: 200, json: { ...res.json, publicKey: mallory.publicKey } };
    };
    lies.push(substitute);
    const before = traffic.length;
    try {
      expect(await failure(sendLink(existing(), receiver.code, handover))).toBe('code-mismatch');
    } finally {
      lies.splice(lies.indexOf(substitute), 1);
    }
    expect(traffic.slice(before).filter((t) => t.method === 'PUT')).toEqual([]);
    expect(await receiver.poll()).toBeNull();
  });

  it('LINK3, LINK5: a handover the relay swapped for another slot\'s is refused by the new device, which then drops its key', async () => {
    const a = await LinkReceiver.start(fresh());
    const b = await LinkReceiver.start(fresh());
    await sendLink(existing(), b.code, handover);
    let stolen: unknown;
    const grab: Lie = (req, res) => {
      if (req.path === `/api/v1/device-links/${b.code.slice(0, 4)}/receive` && res.json?.status === 'ready') stolen = res.json.handover;
    };
    lies.push(grab);
    expect(await b.poll()).toEqual(handover);
    lies.splice(lies.indexOf(grab), 1);
    const replay: Lie = (req) => {
      if (req.path === `/api/v1/device-links/${a.code.slice(0, 4)}/receive`) return { status: 200, json: { status: 'ready', expiresAt: new Date().toISOString(), handover: stolen } };
    };
    lies.push(replay);
    try {
      expect(await failure(a.poll())).toBe('refused-here');
    } finally {
      lies.splice(lies.indexOf(replay), 1);
    }
    expect(await failure(a.poll())).toBe('used');
  });

  it('LINK5: one handover per slot (a second is 409 link_used, from anyone), read once, and an expired slot is 410 link_expired', async () => {
    const receiver = await LinkReceiver.start(fresh());
    const l = receiver.code.slice(0, 4);
    await sendLink(existing(), receiver.code, handover);
    const again = await call(app.server, 'PUT', `/api/v1/device-links/${l}/handover`, {
      token: bobToken, payload: { handover: { v: 1, publicKey: (await newLinkKey()).publicKey, iv: 'A'.repeat(16), ciphertext: 'A'.repeat(100) } },
    });
    expect([again.status, again.json.error.code]).toEqual([409, 'link_used']);
    expect(await failure(sendLink(existing(), receiver.code, handover))).toBe('used');
    const { rows } = await app.testDb.query<{ attempts: number }>('SELECT attempts FROM device_links WHERE locator = $1', [l]);
    expect(rows[0]!.attempts).toBe(2);
    expect(await receiver.poll()).toEqual(handover);
    const late = await call(app.server, 'POST', `/api/v1/device-links/${l}/receive`, { payload: { token: 'A'.repeat(43) } });
    expect([late.status, late.json.error.code]).toEqual([404, 'link_not_found']);

    // (carol's device from here: each account has 10 tries a minute, LINK6.)
    const carolDevice = existing(() => carolToken);
    const old = await LinkReceiver.start(fresh());
    await app.testDb.query("UPDATE device_links SET expires_at = now() - interval '1 second' WHERE locator = $1", [old.code.slice(0, 4)]);
    expect(await failure(sendLink(carolDevice, old.code, handover))).toBe('expired');
    expect(await failure(old.poll())).toBe('expired-here');
    const gone = await call(app.server, 'GET', '/api/v1/device-links/0000', { token: carolToken });
    expect([gone.status, gone.json.error.code]).toEqual([404, 'link_not_found']);
    expect(await failure(sendLink(carolDevice, '0000-0000-0000', handover))).toBe('not-found');
    expect(await failure(sendLink(carolDevice, '0000-0000', handover))).toBe('malformed-code');
  });

  it('LINK4: a device hands over only a key file of the account\'s current key: one kept from before a rotation, or another account\'s, is passed over', async () => {
    const current = handover.accountFingerprint;
    const before = JSON.stringify({ ...JSON.parse(KEY_FILE), public: publicOf('bob', 'alice') });
    const other = JSON.stringify({ ...JSON.parse(KEY_FILE), userId: 'bob', public: publicOf('bob') });
    expect(await currentKeyFile(current, [before, KEY_FILE])).toBe(KEY_FILE);
    expect(await currentKeyFile(current, [null, other, 'not json', KEY_FILE])).toBe(KEY_FILE);
    expect(await currentKeyFile(current, [before, other, undefined])).toBeNull();
  });

  it('LINK6: look-ups and handovers are limited per account, new slots per address; looking up needs a signed-in account', async () => {
    const anonymous = await call(app.server, 'GET', '/api/v1/device-links/0000');
    expect(anonymous.status).toBe(401);
    // bob guesses locators: after 10 tries a minute he is refused, whatever he guesses. (25
    // tries: even if a minute's window turns during the loop, the next one fills up too.)
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await call(app.server, 'GET', `/api/v1/device-links/${String(i % 10).padStart(4, '0')}`, { token: bobToken })).status);
    expect(statuses.every((s) => s === 404 || s === 429)).toBe(true);
    expect(statuses.filter((s) => s === 404).length).toBeLessThanOrEqual(20);
    expect(statuses.at(-1)).toBe(429);
    const put = await call(app.server, 'PUT', '/api/v1/device-links/0000/handover', {
      token: bobToken, payload: { handover: { v: 1, publicKey: (await newLinkKey()).publicKey, iv: 'A'.repeat(16), ciphertext: 'A'.repeat(100) } },
    });
    expect([put.status, put.json.error.code]).toEqual([429, 'rate_limited']);
    // Slots: the per-address limit (LOGIN_RATE_LIMIT_PER_MINUTE, 12 here; the tests above made some).
    const publicKey = (await newLinkKey()).publicKey;
    const made: number[] = [];
    for (let i = 0; i < 13; i++) made.push((await call(app.server, 'POST', '/api/v1/device-links', { payload: { publicKey } })).status);
    expect(made).toContain(429);
    expect(made.every((s) => s === 201 || s === 429)).toBe(true);
  });
});
