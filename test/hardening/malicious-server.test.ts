// The malicious server suite (issue 8, item 3). For every attack of THREATS.md that a
// client can notice, a test named after its id makes the sync service lie — rewriting
// its answers in flight (support/lying-server.ts) or editing its database as the
// superuser — and checks that the PWA's own client code (its Session, Sync, Device and
// stores on fake-indexeddb; support/pwa-client.ts) refuses, reports the right kind of problem, and fails closed
// (nothing forged is shown; sending pauses where it would help the attacker).
// The protocol tests cover the same ids at the crypto layer; this is client + server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { cp, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { freePort } from '../../db/embedded.ts';
import { startService, type RunningService } from '../../sync-service/src/start.ts';
import { launchBrowser } from '../../e2e/support/browser.ts';
import { awaitBuild, buildInProgress } from '../../scripts/build-if-stale.ts';
import { fileURLToPath } from 'node:url';
import type { Server } from '@hapi/hapi';
import {
  buf, createEpoch, epochHash, epochSigningInput, fingerprint, fromBase64Url, importKeyFile, KeyFileError, keyFileChecksum,
  randomBytes, sealMessage, signLoginProof, signRegistration, toBase64Url, verifyLoginProof, wrapLabel, writeKeyFile,
  type EpochRecord, type Envelope, type Identity,
} from '../../protocol/src/index.ts';
import { testConfig } from '../../sync-service/src/config.ts';
import { CONTENT_SECURITY_POLICY } from '../../sync-service/src/plugins/static/index.ts';
import { BlockedError, type BlockCode } from '../../pwa/src/services/warnings.ts';
import { UnknownUserError } from '../../pwa/src/services/directory.ts';
import { getContact } from '../../pwa/src/stores/contacts.ts';
import { getConversation, getEpochs } from '../../pwa/src/stores/conversations.ts';
import { Messenger } from '../../pwa/src/services/messenger.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { identity, impostor, secretsOf, type Name } from '../support/identities.ts';
import { Dba, lyingFetch, onSync, type Lie } from './support/lying-server.ts';
import { BASE, bodies, createDevice, createPair, problems, send, warnings, type Device } from './support/devices.ts';
import { PwaClient } from './support/pwa-client.ts';
import { startHardeningService, type HardeningService } from './support/service.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const subtle = globalThis.crypto.subtle;

describe('a malicious server: the client refuses and says why', () => {
  let service: HardeningService;
  let server: Server;
  let dba: Dba;

  beforeAll(async () => {
    service = await startHardeningService('malicious');
    ({ server, dba } = service);
  });

  afterAll(async () => {
    await service?.stop();
  });

  // Key files cost an Argon2id run (64 MiB, 3 passes) each to write or open: made once.
  const passphrase = 'correct horse battery staple, twice over';
  let keyFilesOnce: Promise<{ mine: string; offered: string }> | null = null;
  const keyFiles = () => (keyFilesOnce ??= (async () => ({
    mine: await writeKeyFile(secretsOf('alice', 'alice-kf'), passphrase),
    // The server's own keys under the user's id, sealed with a passphrase the server chose.
    offered: await writeKeyFile(secretsOf('mallory', 'alice-kf'), 'the server chose this'),
  }))());

  const device = (keys: Name, userId: string, opts?: { register?: boolean; login?: boolean }) => createDevice(server, keys, userId, opts);
  const pair = (tag: string, bobLies?: Lie[]) => createPair(server, tag, bobLies);

  /** Sign an epoch record (any content) with `signer`'s key, as a server or member could. */
  async function resign(record: Omit<EpochRecord, 'sig'>, signer: Identity): Promise<EpochRecord> {
    const sig = new Uint8Array(await subtle.sign({ name: 'Ed25519' }, signer.signing.privateKey, buf(epochSigningInput(record))));
    return { ...record, sig: toBase64Url(sig) } as EpochRecord;
  }

  /** Sending is paused (for the reason `why`, when given) and a send is refused. */
  async function expectPaused(d: Device, cid: string, why?: BlockCode): Promise<void> {
    const reason = await d.client.composer.blockedReason(cid);
    expect(reason).not.toBeNull();
    if (why) expect(reason?.code).toBe(why);
    await expect(d.client.composer.send(cid, 'anything')).rejects.toBeInstanceOf(BlockedError);
  }

  // ---- membership and keys --------------------------------------------------------------

  it('M1: a member added by someone who is not a member (the server\'s own key) is refused, shown, and sending pauses', async () => {
    const { alice, bob, cid } = await pair('m1a');
    const mallory = await device('mallory', 'mallory-m1a');
    await send(alice, cid, 'before');
    await bob.client.pull();
    // Epoch 1, chained correctly, validly signed — by mallory, who was never a member.
    const prev = (await dba.body(cid, 1)) as EpochRecord;
    const { record } = await createEpoch({
      conversationId: cid, epoch: 1, creator: mallory.id,
      members: [alice.id.public, bob.id.public, mallory.id.public],
      previous: { ...prev, members: [...prev.members, { userId: mallory.id.userId, fingerprint: await fingerprint(mallory.id.public) }], wrappedKeys: [...prev.wrappedKeys, { userId: mallory.id.userId, wrappedKey: prev.wrappedKeys[0]!.wrappedKey }] },
    });
    const { sig: _s, ...unsigned } = record;
    const forged = await resign({ ...unsigned, prevEpochHash: await epochHash(prev) }, mallory.id);
    await dba.append(cid, 'epoch', forged, mallory.id.userId);
    await bob.client.pull();
    expect(await problems(bob, cid)).toContain('epoch-not-a-member');
    expect(await warnings(bob, cid)).toContain('membership');
    expect((await getConversation(bob.client.db, cid))!.members).toEqual([alice.id.userId, bob.id.userId].sort());
    await expectPaused(bob, cid, 'membership-alert');
    expect(await bodies(bob, cid)).toEqual(['before']);
    // L6: the refused record named mallory, whom bob never pinned: not looked up, not pinned.
    expect(await getContact(bob.client.db, mallory.id.userId)).toBeUndefined();
    expect(bob.traffic.some((t) => t.path === `/api/v1/users/${mallory.id.userId}/keys`)).toBe(false);
  });

  it('M1: a member list the server edited inside a signed record is refused (bad signature), sending pauses', async () => {
    const malloryPub = (await device('mallory', 'mallory-m1b')).id.public;
    const addMallory: Lie = onSync((entries) => entries.map((e) => (e.kind !== 'epoch' ? e : {
      ...e,
      body: {
        ...e.body,
        members: [...e.body.members, { userId: malloryPub.userId, fingerprint: '0'.repeat(64) }],
        wrappedKeys: [...e.body.wrappedKeys, { userId: malloryPub.userId, wrappedKey: toBase64Url(randomBytes(384)) }],
      },
    })));
    const { alice, bob, cid } = await pair('m1b', [addMallory]);
    expect(await problems(bob, cid)).toEqual(['epoch-bad-signature']);
    expect(await getEpochs(bob.client.db, cid)).toEqual([]);
    await expectPaused(bob, cid, 'membership-alert');
    // L6: only the creator was fetched, to check the signature, and nothing was pinned.
    expect(await getContact(bob.client.db, malloryPub.userId)).toBeUndefined();
    expect(await getContact(bob.client.db, alice.id.userId)).toBeUndefined();
    expect(bob.traffic.some((t) => t.path === `/api/v1/users/${malloryPub.userId}/keys`)).toBe(false);
  });

  it("M2: the directory swaps a contact's key: the new key is held pending, never used, and sending to them pauses", async () => {
    const { alice, bob, cid } = await pair('m2');
    const mallory = await identity('mallory', bob.id.userId);
    await dba.swapKey(bob.id.userId, mallory.public, await signRegistration(mallory));
    const { outcome, contact } = await alice.client.directory.refresh(bob.id.userId);
    expect(outcome).toBe('changed');
    expect(contact.pinned).toEqual(bob.id.public);
    expect(contact.pending?.identity).toEqual(mallory.public);
    await expectPaused(alice, cid, 'key-changed');
    // Bob's own messages still verify under the pinned key; nothing was wrapped for the new key.
    await send(bob, cid, 'still bob');
    await alice.client.pull();
    expect(await bodies(alice, cid)).toEqual(['still bob']);
    expect((await getEpochs(alice.client.db, cid)).map((e) => e.epoch)).toEqual([0]);
  });

  it('M3: a directory answer naming another user, or another user\'s key, is refused and nothing is pinned', async () => {
    const alice = await device('alice', 'alice-m3');
    const carol = await device('carol', 'carol-m3');
    const dave = await device('dave', 'dave-m3');
    // The key of dave served as carol's (with dave's id inside it).
    alice.lies.push((req, res) => {
      if (req.path !== `/api/v1/users/${carol.id.userId}/keys`) return;
      return { status: 200, json: { ...res.json, current: { ...res.json.current, identity: dave.id.public } } };
    });
    await expect(alice.client.directory.lookup(carol.id.userId)).rejects.toBeInstanceOf(UnknownUserError);
    expect(await getContact(alice.client.db, carol.id.userId)).toBeUndefined();
    await expect(alice.client.composer.startConversation(carol.id.userId)).rejects.toBeInstanceOf(UnknownUserError);
    // An answer whose top-level userId names someone else.
    alice.lies.length = 0;
    alice.lies.push((req, res) => (req.path === `/api/v1/users/${dave.id.userId}/keys` ? { status: 200, json: { ...res.json, userId: carol.id.userId } } : undefined));
    await expect(alice.client.directory.lookup(dave.id.userId)).rejects.toBeInstanceOf(UnknownUserError);
    expect(await getContact(alice.client.db, dave.id.userId)).toBeUndefined();
  });

  it('M4: a conversation key offered "from" a member but signed by the server is refused; its messages stay unreadable', async () => {
    const { alice, bob } = await pair('m4');
    const mallory = await identity('mallory', 'mallory-m4');
    const carol = await device('carol', 'carol-m4'); // a real user bob never pinned, named in the forged record
    const fakeId = `fake-${crypto.randomUUID()}`;
    const { record, key } = await createEpoch({ conversationId: fakeId, epoch: 0, creator: impostor(alice.id, mallory), members: [alice.id.public, bob.id.public, carol.id.public], previous: null });
    const env = await sealMessage({ conversationId: fakeId, epoch: 0, epochKey: key, sender: impostor(alice.id, mallory), clientMessageId: crypto.randomUUID(), counter: 1, prevHash: null, plaintext: { type: 'text', body: 'trust me', composedAt: 1 } });
    bob.lies.push(onSync((entries) => [
      ...entries,
      { conversationId: fakeId, seq: 1, kind: 'epoch', body: record, createdAt: new Date().toISOString() },
      { conversationId: fakeId, seq: 2, kind: 'message', body: env, createdAt: new Date().toISOString() },
    ]));
    await bob.client.pull();
    expect(await problems(bob, fakeId)).toEqual(['epoch-bad-signature', 'bad-signature']);
    expect(await getEpochs(bob.client.db, fakeId)).toEqual([]);
    expect(await bodies(bob, fakeId)).toEqual([]);
    await expectPaused(bob, fakeId);
    // L6: the signature was checked under alice's pinned key before any look-up: carol was neither fetched nor pinned.
    expect(await getContact(bob.client.db, carol.id.userId)).toBeUndefined();
    expect(bob.traffic.some((t) => t.path === `/api/v1/users/${carol.id.userId}/keys`)).toBe(false);
  });

  it('M5: an epoch record served as a message, and a message served as an epoch record, are refused', async () => {
    const { alice, bob, cid } = await pair('m5');
    const record = (await dba.body(cid, 1)) as EpochRecord;
    await send(alice, cid, 'hello');
    const env = (await dba.body(cid, 2)) as Envelope;
    await dba.append(cid, 'message', record, alice.id.userId);
    await dba.append(cid, 'epoch', env, alice.id.userId);
    await bob.client.pull();
    expect(await problems(bob, cid)).toEqual([null, null, 'malformed', 'epoch-malformed']);
    expect(await warnings(bob, cid)).toEqual(['malformed', 'membership']);
    expect(await bodies(bob, cid)).toEqual(['hello']);
  });

  it('M6: recovery material comes only from the user\'s key file: a server-made file, or the user\'s file with the server\'s keys in its header, does not open', async () => {
    const { mine, offered } = await keyFiles();
    await expect(importKeyFile(offered, passphrase)).rejects.toMatchObject({ code: 'wrong-passphrase' });
    // The user's file with the server's public keys put in its header (checksum recomputed).
    const f = JSON.parse(mine);
    f.public = { ...f.public, encryptionKey: secretsOf('mallory').pub.encryptionKey, signingKey: secretsOf('mallory').pub.signingKey };
    const { checksum: _c, ...rest } = f;
    f.checksum = await keyFileChecksum(rest);
    await expect(importKeyFile(JSON.stringify(f), passphrase)).rejects.toMatchObject({ code: 'wrong-passphrase' });
  });

  it('M7: bits flipped in a stored IV or header field are refused and the message is not shown', async () => {
    const { alice, bob, cid } = await pair('m7');
    await send(alice, cid, 'one');
    await bob.client.pull();
    await send(alice, cid, 'two');
    await send(alice, cid, 'three');
    const flip = (s: string) => { const b = fromBase64Url(s); b[0]! ^= 1; return toBase64Url(b); };
    await dba.edit(cid, 3, (e) => ({ ...e, iv: flip(e.iv) }));
    await dba.edit(cid, 4, (e) => ({ ...e, epoch: 0, counter: e.counter + 1 }));
    await bob.client.pull();
    const p = await problems(bob, cid);
    expect(p.slice(2)).toEqual(['bad-signature', 'bad-signature']);
    expect(await bodies(bob, cid)).toEqual(['one']);
    expect(await warnings(bob, cid)).toEqual(['bad-signature', 'bad-signature']);
  });

  // ---- the transcript -----------------------------------------------------------------------

  it('R1: a dropped message is a gap, swapped messages are reordered, a replay is a replay', async () => {
    const { alice, bob, cid } = await pair('r1');
    for (const b of ['m1', 'm2', 'm3']) await send(alice, cid, b);
    // Drop m2 (counter 2) from what Bob receives.
    bob.lies.push(onSync((entries) => entries.filter((e) => !(e.kind === 'message' && e.body.counter === 2))));
    await bob.client.pull();
    expect(await problems(bob, cid)).toEqual([null, null, 'gap']);
    expect(await warnings(bob, cid)).toEqual(['gap']);
    // Swap m4 and m5 (seqs kept: the server assigns them).
    bob.lies.length = 0;
    for (const b of ['m4', 'm5']) await send(alice, cid, b);
    bob.lies.push(onSync((entries) => {
      const msgs = entries.filter((e) => e.kind === 'message');
      if (msgs.length !== 2) return;
      return [{ ...msgs[0], body: msgs[1].body }, { ...msgs[1], body: msgs[0].body }];
    }));
    await bob.client.pull();
    expect((await problems(bob, cid)).slice(3)).toEqual(['gap', 'reordered']);
    // Replay m1 at a new seq.
    bob.lies.length = 0;
    await dba.append(cid, 'message', await dba.body(cid, 2), alice.id.userId);
    await bob.client.pull();
    expect((await problems(bob, cid)).slice(5)).toEqual(['replayed']);
    expect(await warnings(bob, cid)).toEqual(['gap', 'gap', 'reordered', 'replayed']);
    expect(await bodies(bob, cid)).toEqual(['m1', 'm3', 'm5', 'm4']);
  });

  it('R1: an outbox flush answered with ids that were never sent stops at once (no busy loop) and keeps the messages queued', async () => {
    const { alice, cid } = await pair('r1b');
    let batches = 0;
    alice.lies.push((req) => {
      if (req.path !== '/api/v1/messages/batch') return;
      batches++;
      // A guard so the test ends even if the client loops: after 20 calls the lie turns into a 500.
      if (batches > 20) return { status: 500, json: { error: { code: 'internal', message: 'guard' } } };
      return { status: 200, json: { results: [{ clientMessageId: crypto.randomUUID(), conversationId: cid, status: 'stored', seq: 99 }] } };
    });
    const row = await alice.client.composer.send(cid, 'kept');
    expect(await alice.client.flush()).toMatchObject({ ok: false, reason: 'server' });
    expect(batches).toBe(1);
    expect((await alice.client.db.get('outbox', row.clientMessageId))?.status).toBe('queued');
    alice.lies.length = 0;
    expect(await alice.client.flush()).toMatchObject({ ok: true, sent: 1 });
  });

  it('R2: a receipt forged by the server does not mark a message delivered; a real one does', async () => {
    const { alice, bob, cid } = await pair('r2');
    const m1 = await send(alice, cid, 'first');
    const m2 = await send(alice, cid, 'second');
    await bob.client.pull();
    // Bob acknowledges m1 with a real receipt (a signed, encrypted message).
    await bob.client.composer.send(cid, '', 'receipt', [m1]);
    expect(await bob.client.flush()).toMatchObject({ ok: true });
    // The server forges Bob's receipt for m2: it has neither Bob's key nor the epoch key.
    const mallory = await identity('mallory', 'mallory-r2');
    const epochKey = await subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    const forged = await sealMessage({ conversationId: cid, epoch: 0, epochKey, sender: impostor(bob.id, mallory), clientMessageId: crypto.randomUUID(), counter: 2, prevHash: 'a'.repeat(64), plaintext: { type: 'receipt', body: '', composedAt: 1, refs: [m2] } });
    await dba.append(cid, 'message', forged, bob.id.userId);
    await alice.client.pull();
    const views = await alice.client.views.messages(cid);
    expect(views.find((v) => v.id === m1)?.state).toBe('delivered');
    expect(views.find((v) => v.id === m2)?.state).toBe('sent');
    expect(await warnings(alice, cid)).toEqual(['bad-signature']);
  });

  // ---- login and signatures -------------------------------------------------------------------

  it('T1: the client signs its own origin and user, never an origin the server names in the challenge', async () => {
    // The product's Session.login (pwa/src/services/session.ts), as Messenger runs it,
    // against a server whose challenge names another origin.
    const carol = await device('carol', 'carol-t1', { login: false });
    let seen: { nonce: string; proof: string } | null = null;
    let nonce = '';
    carol.lies.push((req, res) => {
      if (req.path === '/api/v1/auth/challenge' && res.status === 201) {
        nonce = res.json.nonce;
        return { status: 201, json: { ...res.json, origin: 'https://evil.example' } };
      }
      if (req.path === '/api/v1/auth/login') seen = { nonce, proof: req.body.proof };
    });
    await carol.client.session.login(carol.id);
    expect(seen).not.toBeNull();
    const s = seen as unknown as { nonce: string; proof: string };
    expect(await verifyLoginProof(carol.id.public, { nonce: s.nonce, origin: BASE, userId: carol.id.userId }, s.proof)).toBe(true);
    expect(await verifyLoginProof(carol.id.public, { nonce: s.nonce, origin: 'https://evil.example', userId: carol.id.userId }, s.proof)).toBe(false);
    // The service accepted it (the proof is over the origin the challenge was asked for) and the token works.
    expect(carol.client.session.current?.userId).toBe(carol.id.userId);
    expect((await carol.client.api.conversations()).conversations).toEqual([]);
  });

  it('T2: a signature made for another purpose (registration, login) does not count as a message signature', async () => {
    const { alice, bob, cid } = await pair('t2');
    await send(alice, cid, 'real');
    const env = (await dba.body(cid, 2)) as Envelope;
    const registration = await signRegistration(alice.id);
    const loginProof = await signLoginProof(alice.id, { nonce: toBase64Url(randomBytes(32)), origin: BASE });
    await dba.append(cid, 'message', { ...env, counter: 2, prevHash: 'b'.repeat(64), clientMessageId: crypto.randomUUID(), sig: registration }, alice.id.userId);
    await dba.append(cid, 'message', { ...env, counter: 3, prevHash: 'c'.repeat(64), clientMessageId: crypto.randomUUID(), sig: loginProof }, alice.id.userId);
    await bob.client.pull();
    expect(await problems(bob, cid)).toEqual([null, null, 'bad-signature', 'bad-signature']);
    expect(await bodies(bob, cid)).toEqual(['real']);
  });

  it("T3: a message whose sender is swapped, or reflected into another conversation, is refused", async () => {
    const { alice, bob, cid } = await pair('t3');
    const carol = await device('carol', 'carol-t3');
    const other = await alice.client.composer.startConversation(carol.id.userId);
    await send(bob, cid, 'from bob');
    const env = (await dba.body(cid, 2)) as Envelope;
    // Bob's message presented to Bob as Alice's (and its device certificate as hers: DEV5
    // binds the certificate to the sender, DEV3 the certificate to the sender's pinned key).
    const swapped = env.v === 2 ? { ...env, sender: alice.id.userId, device: { ...env.device, userId: alice.id.userId } } : { ...env, sender: alice.id.userId };
    await dba.append(cid, 'message', swapped, alice.id.userId);
    // Alice's own message reflected back to her from another conversation.
    await send(alice, cid, 'from alice');
    const mine = (await dba.body(cid, 4)) as Envelope;
    await dba.append(other, 'message', mine, alice.id.userId);
    await bob.client.pull();
    expect(await problems(bob, cid)).toEqual([null, null, 'bad-certificate', null]);
    await alice.client.pull();
    expect(await problems(alice, other)).toEqual([null, 'wrong-conversation']);
    expect(await warnings(alice, other)).toEqual(['wrong-conversation']);
  });

  it('T4: a freshly restored device rebuilds the transcript from the log, so old messages replayed to it are flagged', async () => {
    const { alice, bob, cid } = await pair('t4');
    for (const b of ['a', 'b', 'c']) await send(alice, cid, b);
    await dba.append(cid, 'message', await dba.body(cid, 2), alice.id.userId);
    await dba.append(cid, 'message', await dba.body(cid, 3), alice.id.userId);
    // The product's restore (restore.ts, what Messenger.restore runs once the key file is open).
    const restored = await PwaClient.create(bob.id, BASE, { fetch: lyingFetch(server, []) });
    const stages: string[] = [];
    const summary = await restored.restore((p) => stages.push(p.stage));
    expect(stages[0]).toBe('login');
    expect(stages.at(-1)).toBe('done');
    const d: Device = { client: restored, lies: [], traffic: [], gates: [], id: bob.id };
    expect(await problems(d, cid)).toEqual([null, null, null, null, 'replayed', 'replayed']);
    expect(summary).toMatchObject({ conversations: 1, messages: 3, failed: [{ warning: { code: 'replayed' }, count: 2 }] });
    // History recovered from the key file is not news: nothing unread, nothing acknowledged.
    expect((await restored.views.summaries())[0]?.unread).toBe(0);
    expect(await restored.db.count('outbox')).toBe(0);
    expect(await bodies(d, cid)).toEqual(['a', 'b', 'c']);
    expect(await warnings(d, cid)).toEqual(['replayed', 'replayed']);
  });

  it('T4: Messenger itself restores from the key file (Argon2id, login, adopt, the whole log) before anything new is shown', async () => {
    const alice = await device('alice', 'alice-kf'); // the user of the key file `mine`
    const bob = await device('bob', 'bob-t4m');
    const cid = await alice.client.composer.startConversation(bob.id.userId);
    for (const b of ['a', 'b']) await send(alice, cid, b);
    await dba.append(cid, 'message', await dba.body(cid, 2), alice.id.userId);
    const m = new Messenger({ origin: BASE, baseUrl: BASE, fetch: lyingFetch(server, []), databaseName: `t4-messenger-${process.pid}` });
    const stages: string[] = [];
    // The newest conversations first (the app can be entered), then the rest (issue 18).
    const summary = await (await m.restore((await keyFiles()).mine, passphrase, (p) => stages.push(p.stage))).whole;
    expect([...new Set(stages)]).toEqual(['key-file', 'login', 'history', 'done']);
    expect(m.me?.userId).toBe('alice-kf');
    expect(summary).toMatchObject({ conversations: 1, messages: 2, failed: [{ warning: { code: 'replayed' }, count: 1 }] });
    expect((await m.messages(cid)).map((v) => [v.body, v.state, v.warnings.map((w) => w.code)])).toEqual([
      ['a', 'sent', []], ['b', 'sent', []], [null, 'received', ['replayed']],
    ]);
    await m.refreshSummaries(false);
    expect(m.summaries.map((s) => [s.others, s.unread, s.blocked])).toEqual([[[bob.id.userId], 0, null]]);
  });

  it('T7: stored ciphertexts reveal only the padding bucket; key files have one size whatever the keys', async () => {
    const { alice, cid } = await pair('t7');
    await send(alice, cid, 'a');
    await send(alice, cid, 'x'.repeat(200));
    await send(alice, cid, 'y'.repeat(300));
    const sizes = await Promise.all([2, 3, 4].map(async (s) => ((await dba.body(cid, s)) as Envelope).encryptedContent.length));
    expect(sizes[0]).toBe(sizes[1]); // 1 and 200 characters: the same 256-byte bucket
    expect(sizes[2]).toBeGreaterThan(sizes[1]!); // 300 characters: the next bucket (documented in SECURITY.md)
    const { mine, offered } = await keyFiles(); // other keys, other passphrases
    expect(mine.length).toBe(offered.length);
    expect(JSON.parse(mine).ciphertext.length).toBe(JSON.parse(offered).ciphertext.length);
  });

  // ---- keys, wrapping, forgery ---------------------------------------------------------------------

  it('G1, C2: a mauled or weakened key file fails with one uniform error (or as damaged before any KDF run)', async () => {
    const text = (await keyFiles()).mine;
    const maul = async (change: (f: any) => void) => {
      const f = JSON.parse(text);
      change(f);
      const { checksum: _c, ...rest } = f;
      f.checksum = await keyFileChecksum(rest);
      return JSON.stringify(f);
    };
    const flipped = await maul((f) => { const c = fromBase64Url(f.ciphertext); c[100]! ^= 0x80; f.ciphertext = toBase64Url(c); });
    const wrong = await importKeyFile(text, 'not the passphrase').catch((e) => e);
    const mauled = await importKeyFile(flipped, passphrase).catch((e) => e);
    expect(wrong).toBeInstanceOf(KeyFileError);
    expect([mauled.code, mauled.message]).toEqual([wrong.code, wrong.message]);
    // C2: parameters lowered below the floor are refused, checksum or not.
    const weak = await maul((f) => { f.kdf.memoryKiB = 1024; f.kdf.passes = 1; });
    await expect(importKeyFile(weak, passphrase)).rejects.toMatchObject({ code: 'damaged' });
  });

  it('G2: an epoch record cut from one conversation into another, or with wrapped keys swapped between users, is refused', async () => {
    const swap: Lie = onSync((entries) => entries.map((e) => {
      if (e.kind !== 'epoch') return e;
      const w = e.body.wrappedKeys;
      return { ...e, body: { ...e.body, wrappedKeys: [{ ...w[0], wrappedKey: w[1].wrappedKey }, { ...w[1], wrappedKey: w[0].wrappedKey }] } };
    }));
    const { alice, bob, cid } = await pair('g2', [swap]);
    expect(await problems(bob, cid)).toEqual(['epoch-bad-signature']);
    // The valid record of this conversation served as the first entry of another one.
    const pasted = `pasted-${crypto.randomUUID()}`;
    const record = (await dba.body(cid, 1)) as EpochRecord;
    const carol = await device('carol', 'carol-g2');
    carol.lies.push(onSync((entries) => [...entries, { conversationId: pasted, seq: 1, kind: 'epoch', body: record, createdAt: new Date().toISOString() }]));
    await carol.client.pull();
    expect(await problems(carol, pasted)).toEqual(['epoch-wrong-conversation']);
    // The same record replayed later in its own conversation.
    await dba.append(cid, 'epoch', record, alice.id.userId);
    await alice.client.pull();
    expect(await problems(alice, cid)).toEqual([null, 'epoch-replayed']);
  });

  it("G3: a member who forges a message in another member's name is refused (bad signature)", async () => {
    const alice = await device('alice', 'alice-g3');
    const bob = await device('bob', 'bob-g3');
    const carol = await device('carol', 'carol-g3');
    const cid = `group-${crypto.randomUUID()}`;
    const { record } = await createEpoch({ conversationId: cid, epoch: 0, creator: alice.id, members: [alice.id.public, bob.id.public, carol.id.public], previous: null });
    await alice.client.api.createConversation(record);
    await Promise.all([bob.client.pull(), carol.client.pull()]);
    const [{ key }] = await getEpochs(carol.client.db, cid);
    const forged = await sealMessage({ conversationId: cid, epoch: 0, epochKey: key!, sender: impostor(alice.id, carol.id), clientMessageId: crypto.randomUUID(), counter: 1, prevHash: null, plaintext: { type: 'text', body: 'alice never said this', composedAt: 1 } });
    await dba.append(cid, 'message', forged, alice.id.userId);
    await send(carol, cid, 'carol, signed by carol');
    await bob.client.pull();
    expect(await problems(bob, cid)).toEqual([null, 'bad-signature', null]);
    expect(await bodies(bob, cid)).toEqual(['carol, signed by carol']);
  });

  it('G4: a wrapped key that does not open (garbage, or a valid OAEP ciphertext under another label) gives one uniform error, and nothing is sent back', async () => {
    const { alice, bob, cid } = await pair('g4');
    const prev = (await dba.body(cid, 1)) as EpochRecord;
    const bobIndex = prev.members.findIndex((m) => m.userId === bob.id.userId);
    const spoil = async (epoch: number, previous: EpochRecord, wrapped: (real: string) => Promise<string>) => {
      const { record } = await createEpoch({ conversationId: cid, epoch, creator: alice.id, members: [alice.id.public, bob.id.public], previous });
      const wrappedKeys = record.wrappedKeys.map((w, i) => (i === bobIndex ? { ...w } : w));
      wrappedKeys[bobIndex]!.wrappedKey = await wrapped(wrappedKeys[bobIndex]!.wrappedKey);
      const { sig: _s, ...unsigned } = record;
      return resign({ ...unsigned, wrappedKeys }, alice.id); // a member signs it: only the unwrap can fail
    };
    const garbage = await spoil(1, prev, async () => toBase64Url(randomBytes(384)));
    const bobKey = await subtle.importKey('spki', buf(fromBase64Url(bob.id.public.encryptionKey)), { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
    const otherLabel = await spoil(1, prev, async () => toBase64Url(new Uint8Array(await subtle.encrypt({ name: 'RSA-OAEP', label: buf(wrapLabel('another', 1, bob.id.userId)) }, bobKey, buf(randomBytes(32))))));
    expect((await alice.client.api.addEpoch(cid, garbage)).seq).toBe(2);
    await bob.client.pull();
    // A second record for epoch 1 cannot be appended through the API (409); the server inserts it.
    await dba.append(cid, 'epoch', otherLabel, alice.id.userId);
    const bobFresh = await PwaClient.create(bob.id, BASE, { fetch: lyingFetch(server, [], bob.traffic) });
    await bobFresh.login();
    await bobFresh.pull();
    expect(await problems(bob, cid)).toEqual([null, 'epoch-tampered']);
    const fresh: Device = { client: bobFresh, lies: [], traffic: [], gates: [], id: bob.id };
    expect(await problems(fresh, cid)).toEqual([null, 'epoch-tampered', 'epoch-tampered']);
    // Every request Bob's devices made was a read or a login: nothing derived from the failed unwraps went back.
    const writes = bob.traffic.filter((t) => t.method !== 'GET' && !['/api/v1/sync', '/api/v1/auth/challenge', '/api/v1/auth/login', '/api/v1/users'].includes(t.path));
    expect(writes).toEqual([]);
  });

  // ---- served JavaScript --------------------------------------------------------------------------

  it('W1: every response carries the strict CSP: no inline or foreign script, no eval, no framing', async () => {
    for (const url of ['/', '/index.html', '/sw.js', '/healthz', '/api/v1/conversations', '/no-such-page', '/api/v1/openapi.json']) {
      const res = await server.inject(url);
      expect(res.headers['content-security-policy'], url).toBe(CONTENT_SECURITY_POLICY);
    }
    const directives = new Map(CONTENT_SECURITY_POLICY.split('; ').map((d) => [d.split(' ')[0]!, d.split(' ').slice(1)]));
    expect(directives.get('script-src')).toEqual(["'self'", "'wasm-unsafe-eval'"]);
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/'unsafe-inline'|'unsafe-eval'|\*|https?:|data:[^;]*script/);
  });

  it('W1: the app is built to prompt for updates (registerType prompt; skipWaiting only on the prompt\'s message)', () => {
    const vite = readFileSync(path.join(ROOT, 'vite.config.ts'), 'utf8');
    expect(vite).toMatch(/registerType: 'prompt'/);
    const sw = readFileSync(path.join(ROOT, 'pwa/src/sw.ts'), 'utf8');
    // clientsClaim() only lets the first worker control the page it was installed from; an
    // update is still 'waiting' until the prompt's SKIP_WAITING (checked in Chromium below).
    const skips = [...sw.matchAll(/skipWaiting\(\)/g)];
    expect(skips.length).toBe(1);
    expect(sw).toMatch(/if \(event\.data && event\.data\.type === 'SKIP_WAITING'\) void self\.skipWaiting\(\);/);
    const main = readFileSync(path.join(ROOT, 'pwa/src/main.ts'), 'utf8');
    // The page asks a waiting worker to take over only from the update prompt's callback.
    expect([...main.matchAll(/postMessage\(/g)].length).toBe(1);
    expect(main).toMatch(/setUpdate\(\(\) => \{\s*sw\.addEventListener\('controllerchange', \(\) => location\.reload\(\), \{ once: true \}\);\s*waiting\.postMessage\(\{ type: 'SKIP_WAITING' \}\);\s*\}\)/);
  });
});

describe('W1 in Chromium: what the browser enforces', () => {
  let database: TestDatabase;
  let service: RunningService;
  let browser: Browser;
  let dir: string;
  let url: string;

  beforeAll(async () => {
    // A private copy of the built app, so this test can publish a "new version" of sw.js.
    dir = await mkdtemp(path.join(os.tmpdir(), 'messagehub-w1-'));
    await builtApp(dir);
    database = await createTestDatabase('w1');
    const port = await freePort();
    url = `http://localhost:${port}`;
    service = await startService(testConfig({ port, host: '127.0.0.1', staticDir: dir, origins: [url] }), database.url);
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('W1: the served CSP blocks an injected inline script and a script from another origin', async () => {
    const page = await browser.newPage();
    // The service's real answer (with its real headers) for a page, with markup an attacker injected.
    await page.route(`${url}/csp-probe`, async (route) => {
      const real = await route.fetch();
      expect(real.headers()['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      await route.fulfill({
        response: real,
        status: 200,
        headers: { ...real.headers(), 'content-type': 'text/html; charset=utf-8' },
        body: `<!doctype html><title>probe</title>
          <script>window.__inline = true</script>
          <script src="http://127.0.0.1:9/evil.js"></script>
          <img src="x" onerror="window.__handler = true">`,
      });
    });
    // Recorded by the test harness (an init script is not page content, so CSP does not apply to it).
    await page.addInitScript(() => {
      (window as any).__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => (window as any).__violations.push(`${e.effectiveDirective} ${e.blockedURI}`));
    });
    await page.goto(`${url}/csp-probe`);
    await page.waitForFunction(() => document.readyState === 'complete' && (window as any).__violations.length >= 3);
    expect(await page.evaluate(() => ({ inline: (window as any).__inline ?? null, handler: (window as any).__handler ?? null }))).toEqual({ inline: null, handler: null });
    expect((await page.evaluate(() => (window as any).__violations as string[])).sort()).toEqual([
      'script-src-attr inline', 'script-src-elem http://127.0.0.1:9/evil.js', 'script-src-elem inline',
    ]);
    await page.close();
  });

  it('W1: a new version of the service worker waits, across a reload, until the user accepts the update', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url);
    // The first version fully installed, activated and in control (it claims the page), and
    // the app's own registration call settled, before the server publishes a new version.
    // Polled with expect.poll, not page.waitForFunction: Playwright does not await an async
    // predicate (a Promise is truthy), so waitForFunction(async () => ...) returned after one
    // check, before the worker had activated, and the next line read a null controller.
    const settled = () => page.evaluate(async () => {
      const reg = await navigator.serviceWorker.getRegistration();
      const controller = navigator.serviceWorker.controller;
      return controller !== null && reg?.active?.state === 'activated' && !reg.installing && !reg.waiting ? controller.scriptURL : null;
    });
    await expect.poll(settled, { timeout: 60_000 }).toMatch(/\/sw\.js$/);
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    // The server publishes a new sw.js (any change of bytes is a new version).
    // Written to a temporary file and renamed, so no update check can ever fetch a half-written
    // script (which would be a third version, installed over the second one).
    const swPath = path.join(dir, 'sw.js');
    await writeFile(`${swPath}.tmp`, (await readFile(swPath, 'utf8')) + '\n// a new version\n');
    await rename(`${swPath}.tmp`, swPath);
    await page.evaluate(async () => { await (await navigator.serviceWorker.getRegistration())!.update(); });
    const state = () => page.evaluate(async () => {
      const reg = (await navigator.serviceWorker.getRegistration())!;
      return { waiting: reg.waiting?.state ?? null, active: reg.active?.state ?? null, controlled: navigator.serviceWorker.controller !== null };
    });
    // The new version installs and then waits (polled: installing takes a while under load,
    // and an update check that installs the same new version again passes through a moment
    // with no waiting worker). A silent takeover never reaches this state, so it fails here.
    await expect.poll(state, { timeout: 60_000 }).toEqual({ waiting: 'installed', active: 'activated', controlled: true });
    // A reload does not let it take over: the old version still controls the page.
    await page.reload();
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await expect.poll(state, { timeout: 20_000 }).toEqual({ waiting: 'installed', active: 'activated', controlled: true });
    // The update prompt's answer (main.ts: wb.messageSkipWaiting()) activates it.
    // Polled (a flag the page sets), not an awaited event: a run once hung here until the
    // test's 180 s timeout, saying nothing about which step it was.
    await page.evaluate(() => {
      (window as unknown as { __controllerChanged: boolean }).__controllerChanged = false;
      navigator.serviceWorker.addEventListener('controllerchange', () => { (window as unknown as { __controllerChanged: boolean }).__controllerChanged = true; });
    });
    await page.evaluate(async () => { (await navigator.serviceWorker.getRegistration())!.waiting!.postMessage({ type: 'SKIP_WAITING' }); });
    await expect.poll(() => page.evaluate(() => (window as unknown as { __controllerChanged: boolean }).__controllerChanged), { timeout: 30_000 }).toBe(true);
    await context.close();
  }, 180_000);
});

/** Copy the built app (dist/pwa) if it is current, else build one into `dir`. */
async function builtApp(dir: string): Promise<void> {
  // In `npm test` on a fresh clone the app is being built in the background for the browser
  // tests (e2e/support/global-build.ts): wait for it rather than run a second build beside it.
  if (buildInProgress()) await awaitBuild();
  const dist = path.join(ROOT, 'dist/pwa');
  const fresh = (() => {
    try {
      const built = statSync(path.join(dist, 'index.html')).mtimeMs;
      return ['pwa', 'protocol/src', 'vite.config.ts'].every((s) => newest(path.join(ROOT, s)) < built);
    } catch {
      return false;
    }
  })();
  if (fresh) {
    await cp(dist, dir, { recursive: true });
    return;
  }
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn', '--outDir', dir, '--emptyOutDir'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the app for the W1 test failed: ${r.stderr || r.stdout}`);
}

function newest(p: string): number {
  const info = statSync(p);
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(info.mtimeMs, ...readdirSync(p).filter((c) => c !== 'node_modules').map((c) => newest(path.join(p, c))));
}
