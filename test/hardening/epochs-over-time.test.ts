// Epochs and membership over time (issue 13; THREATS L2, L6, L7, L8, L9), and one test per
// defensive layer where two or three layers stop one attack (M7; G2, G4, M4). Like the
// malicious server suite, every test drives the PRODUCT's classes (support/pwa-client.ts:
// Session, Sync, Device with its Ingest, Composer and Views, on fake-indexeddb) against the
// real service, lying where the test says so. Each test is named after the threat it
// defends, and fails when that defence alone is taken out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from '@hapi/hapi';
import {
  buf, canonical, createEpoch, envelopeSigningInput, epochHash, epochSigningInput, fingerprint, fromBase64Url, PURPOSE, randomBytes, sealMessage, sha256,
  signRegistration, toBase64Url, wrapLabel, type EpochRecord, type Envelope, type Identity, type PublicIdentity,
} from '../../protocol/src/index.ts';
import { BlockedError, type BlockCode } from '../../pwa/src/services/warnings.ts';
import { acceptPendingKey, getContact } from '../../pwa/src/stores/contacts.ts';
import { getChain, getConversation, getEpochs, updateConversation } from '../../pwa/src/stores/conversations.ts';
import { identity as fixtureIdentity, impostor, type Name as FixtureName } from '../support/identities.ts';
import { Dba, onSync } from './support/lying-server.ts';
import { bodies, createDevice, createPair, problems, send, warnings, type Device } from './support/devices.ts';
import { startHardeningService, type HardeningService } from './support/service.ts';

const subtle = globalThis.crypto.subtle;
const now = () => new Date().toISOString();

describe('epochs and members over time: the client admits, looks up, merges and shows what it should', () => {
  let service: HardeningService;
  let server: Server;
  let dba: Dba;

  beforeAll(async () => {
    service = await startHardeningService('epochs');
    ({ server, dba } = service);
  });

  afterAll(async () => {
    await service?.stop();
  });

  const device = (keys: FixtureName, userId: string) => createDevice(server, keys, userId);
  const pair = (tag: string) => createPair(server, tag);

  const events = async (d: Device, cid: string) => (await d.client.views.events(cid)).map((e) => e.events);
  const keyLookups = (d: Device) => d.traffic.filter((t) => t.method === 'GET' && /^\/api\/v1\/users\/[^/]+\/keys$/.test(t.path)).map((t) => t.path.split('/')[4]);

  async function expectPaused(d: Device, cid: string, why: BlockCode): Promise<void> {
    expect((await d.client.composer.blockedReason(cid))?.code).toBe(why);
    await expect(d.client.composer.send(cid, 'anything')).rejects.toBeInstanceOf(BlockedError);
  }

  /** A message sealed by hand (what a removed member's or a retired key's own software can still make). */
  async function sealAs(sender: Identity, d: Device, cid: string, epoch: number, body: string, counter = 1, prevHash: string | null = null): Promise<Envelope> {
    const key = (await getEpochs(d.client.db, cid)).find((e) => e.epoch === epoch)!.key;
    return sealMessage({ conversationId: cid, epoch, epochKey: key, sender, clientMessageId: crypto.randomUUID(), counter, prevHash, plaintext: { type: 'text', body, composedAt: Date.now() } });
  }

  /** The user's key replaced in the directory (a reset), seen and accepted by `viewer`. */
  async function resetKey(user: Identity, newKeys: FixtureName, viewer: Device): Promise<Identity> {
    const fresh = await fixtureIdentity(newKeys, user.userId);
    await dba.swapKey(user.userId, fresh.public, await signRegistration(fresh));
    expect((await viewer.client.directory.refresh(user.userId)).outcome).toBe('changed');
    await acceptPendingKey(viewer.client.db, user.userId);
    return fresh;
  }

  // ---- L2: which epoch a message may use -----------------------------------------------------

  it('L2 ADMIT3: a member removed by a signed epoch keeps posting under the epoch before: refused, named, not shown', async () => {
    const { alice, bob, cid } = await pair('l2a');
    const carol = await device('carol', 'carol-l2a');
    await alice.client.composer.addMember(cid, carol.id.userId); // epoch 1 (seq 2)
    await Promise.all([bob.client.pull(), carol.client.pull()]);
    await alice.client.composer.removeMember(cid, bob.id.userId); // epoch 2 (seq 3), without bob
    // Bob still holds epoch 1's key and his own signing key; the service no longer takes his
    // messages, so the lying service stores one for him.
    await dba.append(cid, 'message', await sealAs(bob.id, bob, cid, 1, 'still here'), bob.id.userId);
    // A current member's message still on its way under epoch 1 is admitted (ADMIT4).
    await dba.append(cid, 'message', await sealAs(alice.id, carol, cid, 1, 'sent before I saw epoch 2'), alice.id.userId);
    await carol.client.pull();
    expect((await problems(carol, cid)).slice(-2)).toEqual(['sender-removed', null]);
    expect(await warnings(carol, cid)).toEqual(['sender-removed']);
    expect(await bodies(carol, cid)).toEqual(['sent before I saw epoch 2']);
  });

  it('L2 ADMIT3: after a key reset is accepted and the conversation re-keyed, the retired key posts nothing', async () => {
    const { alice, bob, cid } = await pair('l2b');
    await resetKey(bob.id, 'erin', alice);
    await send(alice, cid, 'new keys for the new bob'); // re-keys first: epoch 1 lists bob's new key
    // The retired key (whoever holds it now) posts under epoch 0, which it was a member of.
    await dba.append(cid, 'message', await sealAs(bob.id, bob, cid, 0, 'the old key speaks'), bob.id.userId);
    await alice.client.pull();
    expect((await problems(alice, cid)).at(-1)).toBe('sender-key-changed');
    expect(await warnings(alice, cid)).toEqual(['sender-key-changed']);
    expect(await bodies(alice, cid)).toEqual(['new keys for the new bob']);
  });

  it('L2 ADMIT1: receipts follow the re-key rule: after an accepted key change a receipt is sealed under the new epoch', async () => {
    const { alice, bob, cid } = await pair('l2c');
    const m = await send(bob, cid, 'hi');
    await alice.client.pull();
    await resetKey(bob.id, 'erin', alice);
    const receipt = await alice.client.composer.send(cid, '', 'receipt', [m]);
    expect(receipt.envelope.epoch).toBe(1);
    expect((await getEpochs(alice.client.db, cid)).map((e) => e.epoch)).toEqual([0, 1]);
  });

  // ---- L6: signature before look-up ------------------------------------------------------------

  it('L6 LOOKUP1-5: nothing named only by a refused record is looked up or pinned; a valid record pins what it names', async () => {
    const { alice, bob, cid } = await pair('l6');
    const carol = await device('carol', 'carol-l6');
    const dave = await device('dave', 'dave-l6');
    const erin = await device('erin', 'erin-l6');
    const mallory = await fixtureIdentity('mallory', 'mallory-l6');
    // (a) a next epoch "by alice" adding carol, signed by the server: checked against alice's pinned key first.
    const prev = (await dba.body(cid, 1)) as EpochRecord;
    const forged1 = (await createEpoch({ conversationId: cid, epoch: 1, creator: impostor(alice.id, mallory), members: [alice.id.public, bob.id.public, carol.id.public], previous: prev })).record;
    await dba.append(cid, 'epoch', forged1, alice.id.userId);
    // (b) a new conversation "from dave" (never pinned) naming erin: only dave may be fetched, and not pinned.
    const fake = `l6-${crypto.randomUUID()}`;
    const forged0 = (await createEpoch({ conversationId: fake, epoch: 0, creator: impostor(dave.id, mallory), members: [dave.id.public, bob.id.public, erin.id.public], previous: null })).record;
    bob.lies.push(onSync((entries) => (entries.some((e) => e.conversationId === fake) ? undefined : [...entries, { conversationId: fake, seq: 1, kind: 'epoch', body: forged0, createdAt: now() }])));
    bob.traffic.length = 0;
    await bob.client.pull();
    expect(await problems(bob, cid)).toEqual([null, 'epoch-bad-signature']);
    expect(await problems(bob, fake)).toEqual(['epoch-bad-signature']);
    expect(keyLookups(bob)).toEqual([dave.id.userId]);
    for (const u of [carol, dave, erin]) expect(await getContact(bob.client.db, u.id.userId)).toBeUndefined();
    // The real change: carol is fetched after alice's signature verified, and pinned once it opened.
    bob.lies.length = 0;
    bob.traffic.length = 0;
    await alice.client.composer.addMember(cid, carol.id.userId);
    await bob.client.pull();
    expect((await problems(bob, cid)).at(-1)).toBeNull();
    expect(keyLookups(bob)).toEqual([carol.id.userId]);
    expect((await getContact(bob.client.db, carol.id.userId))?.fingerprint).toBe(await fingerprint(carol.id.public));
  });

  // ---- L7: own records -------------------------------------------------------------------------

  it("L7 HELD1: the user's own re-key, stored ahead of the cursor, is no alarm on the next pull; a different record for that epoch is", async () => {
    const { alice, bob, cid } = await pair('l7');
    const carol = await device('carol', 'carol-l7');
    await send(bob, cid, 'while alice is away'); // seq 2: alice has not pulled it
    await alice.client.composer.addMember(cid, carol.id.userId); // epoch 1 at seq 3, past alice's cursor
    expect((await getConversation(alice.client.db, cid))!.lastSeq).toBe(1);
    await alice.client.pull();
    expect(await problems(alice, cid)).toEqual([null, null, null]);
    expect(await warnings(alice, cid)).toEqual([]);
    expect(await alice.client.composer.blockedReason(cid)).toBeNull();
    await send(alice, cid, 'after my own re-key');
    // The identical record again at another seq: a harmless replay, shown, sending goes on.
    await dba.append(cid, 'epoch', await dba.body(cid, 3), alice.id.userId);
    await alice.client.pull();
    expect((await problems(alice, cid)).at(-1)).toBe('epoch-replayed');
    expect(await alice.client.composer.blockedReason(cid)).toBeNull();
    // Another record for the epoch already held, validly signed by a member: still an alarm.
    const other = (await createEpoch({ conversationId: cid, epoch: 1, creator: alice.id, members: [alice.id.public, bob.id.public], previous: (await dba.body(cid, 1)) as EpochRecord })).record;
    await dba.append(cid, 'epoch', other, alice.id.userId);
    await alice.client.pull();
    expect((await problems(alice, cid)).at(-1)).toBe('epoch-conflict');
    await expectPaused(alice, cid, 'membership-alert');
  });

  // ---- L8: commits merge -------------------------------------------------------------------------

  it('L8: a review and a re-key made during a catch-up ingest survive its commit (the alert stays dismissed, the epoch stays 1)', async () => {
    const { alice, bob, cid } = await pair('l8');
    const carl = await device('carol', 'carl-l8');
    const dave = await device('dave', 'dave-l8');
    // A refused change raises the alert on bob (seq 2).
    await dba.append(cid, 'epoch', { v: 1, type: 'epoch', conversationId: cid, epoch: 1 }, alice.id.userId);
    await bob.client.pull();
    expect((await getConversation(bob.client.db, cid))!.membershipAlert?.seq).toBe(2);
    // Catch-up: a message in this conversation (seq 3), and a new conversation from carl,
    // whom bob has never pinned, served after it in the same page.
    await send(alice, cid, 'catch up');
    await carl.client.composer.startConversation(bob.id.userId);
    bob.lies.push(onSync((entries) => [...entries].sort((a, b) => Number(b.conversationId === cid) - Number(a.conversationId === cid))));
    // While the ingest, having read this conversation's row, fetches carl's key for the
    // other one, bob reviews the alert (as Messenger.dismissMembershipAlert) and re-keys (adds dave).
    bob.gates.push({
      path: `/api/v1/users/${carl.id.userId}/keys`,
      run: async () => {
        await updateConversation(bob.client.db, cid, (c) => ({ ...c, membershipAlert: null }));
        await bob.client.composer.addMember(cid, dave.id.userId);
      },
    });
    await bob.client.pull();
    expect(bob.gates).toEqual([]);
    const row = (await getConversation(bob.client.db, cid))!;
    expect([row.membershipAlert, row.latestEpoch, row.members]).toEqual([null, 1, [alice.id.userId, bob.id.userId, dave.id.userId].sort()]);
    expect(row.lastSeq).toBeGreaterThanOrEqual(3);
    // Sending works (no false "someone may be interfering"), and the own epoch re-read is no alarm (L7).
    await send(bob, cid, 'after the race');
    await bob.client.pull();
    expect(await problems(bob, cid)).toEqual([null, 'epoch-malformed', null, null, null]);
    expect(await bob.client.composer.blockedReason(cid)).toBeNull();
  });

  // ---- L9: membership changes visible; newcomers join -----------------------------------------------

  it('L9 JOIN3, JOIN5, JOIN6, MEMB2: a newcomer opens the epoch that adds them (earlier history not shared), everyone sees who added and removed whom, the removed reader is told', async () => {
    const { alice, bob, cid } = await pair('l9');
    const carol = await device('carol', 'carol-l9');
    await send(alice, cid, 'before carol');
    await alice.client.composer.addMember(cid, carol.id.userId);
    await send(alice, cid, 'welcome carol');
    await carol.client.pull();
    expect(await bodies(carol, cid)).toEqual(['welcome carol']);
    expect(await warnings(carol, cid)).toEqual([]);
    expect(await events(carol, cid)).toEqual([[{ code: 'joined', by: alice.id.userId }]]);
    expect(await carol.client.composer.blockedReason(cid)).toBeNull();
    await send(carol, cid, 'hello all');
    await bob.client.pull();
    expect(await bodies(bob, cid)).toEqual(['before carol', 'welcome carol', 'hello all']);
    await alice.client.composer.removeMember(cid, carol.id.userId);
    await bob.client.pull();
    expect(await events(bob, cid)).toEqual([
      [{ code: 'started', by: alice.id.userId, with: [bob.id.userId] }],
      [{ code: 'member-added', by: alice.id.userId, userId: carol.id.userId }],
      [{ code: 'member-removed', by: alice.id.userId, userId: carol.id.userId }],
    ]);
    // The next message is under a key carol never got. The service stops serving carol
    // the log at her removal; served the removal record and what follows anyway (here by
    // the lying service), her client says she was removed, with no false alarm, and stops sending.
    await send(bob, cid, 'after carol left');
    const after = await Promise.all([6, 7].map(async (seq) => ({ conversationId: cid, seq, kind: seq === 6 ? 'epoch' : 'message', body: await dba.body(cid, seq), createdAt: now() })));
    expect(after[0]!.body.epoch).toBe(2);
    carol.lies.push(onSync((entries) => [...entries, ...after]));
    await carol.client.pull();
    expect(await bodies(carol, cid)).toEqual(['welcome carol', 'hello all']);
    expect(await warnings(carol, cid)).toEqual([]);
    expect((await problems(carol, cid)).slice(-2)).toEqual(['epoch-removed', 'not-shared']);
    expect((await events(carol, cid)).at(-1)).toEqual([{ code: 'member-removed', by: alice.id.userId, userId: carol.id.userId }]);
    await expectPaused(carol, cid, 'removed');
  });

  it("L9 MEMB2: a member's accepted key change is an event", async () => {
    const { alice, bob, cid } = await pair('l9k');
    await resetKey(bob.id, 'erin', alice);
    await send(alice, cid, 're-keyed');
    expect((await events(alice, cid)).at(-1)).toEqual([{ code: 'key-changed', by: alice.id.userId, userId: bob.id.userId }]);
  });

  // ---- one test per layer --------------------------------------------------------------------------

  it('M7 (signature layer): a member who holds the epoch key re-encrypts another member\'s message with consistent additional data: only the signature refuses it', async () => {
    // AES-GCM and its additional data accept this envelope: it was sealed with the real key
    // over its real header. Only the sender's Ed25519 signature (alice's key) refuses it.
    const alice = await device('alice', 'alice-m7s');
    const bob = await device('bob', 'bob-m7s');
    const carol = await device('carol', 'carol-m7s');
    const cid = await alice.client.composer.startConversation(bob.id.userId);
    await alice.client.composer.addMember(cid, carol.id.userId);
    await Promise.all([bob.client.pull(), carol.client.pull()]);
    await dba.append(cid, 'message', await sealAs(impostor(alice.id, carol.id), carol, cid, 1, 'alice never said this'), alice.id.userId);
    await bob.client.pull();
    expect((await problems(bob, cid)).at(-1)).toBe('bad-signature');
    expect(await bodies(bob, cid)).toEqual([]);
  });

  it('M7 (additional data layer): a header field changed after sealing, signed again by the sender, is refused by AES-GCM', async () => {
    // The signature verifies (alice signs the changed header, as a signer tricked into
    // signing what the server shows it would), so only the additional data catches it.
    const { alice, bob, cid } = await pair('m7a');
    await send(alice, cid, 'one');
    const env = (await dba.body(cid, 2)) as Envelope;
    const changed = { ...env, clientMessageId: crypto.randomUUID(), counter: 2, prevHash: 'a'.repeat(64) };
    // DEV5: the sending device's key signs version 2 envelopes.
    const signer = (await alice.client.device.deviceKeys.signer()).privateKey;
    const sig = new Uint8Array(await subtle.sign({ name: 'Ed25519' }, signer, buf(envelopeSigningInput(changed))));
    await dba.append(cid, 'message', { ...changed, sig: toBase64Url(sig) }, alice.id.userId);
    await bob.client.pull();
    expect(await problems(bob, cid)).toEqual([null, null, 'tampered']);
    expect(await bodies(bob, cid)).toEqual(['one']);
  });

  /**
   * An epoch record made by hand: a fresh key committed for this conversation and epoch,
   * wrapped for each member by `wrap` (default: the real label), signed by `signer`.
   */
  async function handmade(p: {
    cid: string; epoch: number; creator: Identity; members: PublicIdentity[]; previous: EpochRecord | null; signer?: Identity;
    wrap?: (member: PublicIdentity, raw: Uint8Array, real: (label: Uint8Array, key: Uint8Array) => Promise<string>) => Promise<string>;
  }): Promise<EpochRecord> {
    const raw = randomBytes(32);
    const sorted = [...p.members].sort((a, b) => (a.userId < b.userId ? -1 : 1));
    const wrapWith = (member: PublicIdentity) => async (label: Uint8Array, key: Uint8Array) => {
      const pub = await subtle.importKey('spki', buf(fromBase64Url(member.encryptionKey)), { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
      return toBase64Url(new Uint8Array(await subtle.encrypt({ name: 'RSA-OAEP', label: buf(label) }, pub, buf(key))));
    };
    const wrappedKeys = await Promise.all(sorted.map(async (m) => ({
      userId: m.userId,
      wrappedKey: p.wrap ? await p.wrap(m, raw, wrapWith(m)) : await wrapWith(m)(wrapLabel(p.cid, p.epoch, m.userId), raw),
    })));
    const unsigned: Omit<EpochRecord, 'sig'> = {
      v: 1, type: 'epoch', conversationId: p.cid, epoch: p.epoch, creator: p.creator.userId,
      members: await Promise.all(sorted.map(async (m) => ({ userId: m.userId, fingerprint: await fingerprint(m) }))),
      wrappedKeys,
      keyCommitment: toBase64Url(await sha256(canonical(PURPOSE.epochKeyCommit, [p.cid, p.epoch, raw]))),
      prevEpochHash: p.previous ? await epochHash(p.previous) : null,
      createdAt: Date.now(),
    };
    const sig = new Uint8Array(await subtle.sign({ name: 'Ed25519' }, (p.signer ?? p.creator).signing.privateKey, buf(epochSigningInput(unsigned))));
    return { ...unsigned, sig: toBase64Url(sig) };
  }

  it('G2 G4 M4 (signature layer): a record "by alice" with the right labels and commitment, signed by the server: only the signature refuses it', async () => {
    // The server has every public key, so it can wrap a key of its own for bob under the
    // right label and commit to it; alice and bob are pinned with the listed keys. Only
    // the Ed25519 signature (by the server's key, not alice's) is wrong.
    const { alice, bob, cid } = await pair('sig');
    const mallory = await fixtureIdentity('mallory', 'mallory-sig');
    const forged = await handmade({ cid, epoch: 1, creator: alice.id, signer: mallory, members: [alice.id.public, bob.id.public], previous: (await dba.body(cid, 1)) as EpochRecord });
    await dba.append(cid, 'epoch', forged, alice.id.userId);
    await bob.client.pull();
    expect((await problems(bob, cid)).at(-1)).toBe('epoch-bad-signature');
    expect((await getEpochs(bob.client.db, cid)).map((e) => e.epoch)).toEqual([0]);
  });

  it('G2 G4 M4 (key commitment layer): a member hands bob a different key than the one committed: only the commitment refuses it', async () => {
    // Alice signs (the signature verifies) and bob's key is wrapped under the right label
    // (it unwraps), but it is not the committed key: only EPOCH5's commitment catches it.
    const { alice, bob, cid } = await pair('commit');
    const split = await handmade({
      cid, epoch: 1, creator: alice.id, members: [alice.id.public, bob.id.public], previous: (await dba.body(cid, 1)) as EpochRecord,
      wrap: (m, raw, real) => real(wrapLabel(cid, 1, m.userId), m.userId === bob.id.userId ? randomBytes(32) : raw),
    });
    await dba.append(cid, 'epoch', split, alice.id.userId);
    await bob.client.pull();
    expect((await problems(bob, cid)).at(-1)).toBe('epoch-tampered');
    expect((await getEpochs(bob.client.db, cid)).map((e) => e.epoch)).toEqual([0]);
  });

  it('G2 G4 M4 (OAEP label layer): the committed key wrapped for bob under another conversation\'s label: only the label refuses it', async () => {
    // The signature verifies (alice signs) and the key is the committed one; it was wrapped
    // for bob under the label of another conversation (a wrapped key pasted from there).
    // Only the OAEP label, which binds conversation, epoch and recipient, catches it.
    const { alice, bob, cid } = await pair('label');
    const pasted = await handmade({
      cid, epoch: 1, creator: alice.id, members: [alice.id.public, bob.id.public], previous: (await dba.body(cid, 1)) as EpochRecord,
      wrap: (m, raw, real) => real(wrapLabel(m.userId === bob.id.userId ? `another-${cid}` : cid, 1, m.userId), raw),
    });
    await dba.append(cid, 'epoch', pasted, alice.id.userId);
    await bob.client.pull();
    expect((await problems(bob, cid)).at(-1)).toBe('epoch-tampered');
    expect((await getEpochs(bob.client.db, cid)).map((e) => e.epoch)).toEqual([0]);
    expect(await getChain(bob.client.db, cid)).toBeUndefined();
  });
});
