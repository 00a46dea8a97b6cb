// The epoch key archive (HIST1..HIST5): after alice rotates (alice -> alice2, bob's fixture
// keys under the user id alice), epochs wrapped to her old key reach a device that holds only
// the new key through signed, re-wrapped entries. Round trips, tamper of every field, a wrong
// signer, and the commitment check that an archived key really opens its epoch.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  PURPOSE, ProtocolError, archiveEpochKey, archiveKeySource, buf, canonical, createEpoch, epochArchiveInput, epochArchiveLabel, epochHash, fingerprint,
  fromBase64Url, importIdentityKeys, openMessage, openNextEpoch, parseEpochArchiveEntry, randomBytes, rawEpochKey, sealMessage, toBase64Url,
  verifyEpochArchiveEntry, vouchedPreviousKeys, type EpochArchiveEntry, type EpochRecord, type Identity, type PublicIdentity,
} from '../src/index.ts';
import { errorCode, getAt, keyVectors, leafPaths, loadFixtures, mutationsOf, setAt, type Fixtures } from './fixtures.ts';

let f: Fixtures;
/** Alice after a rotation: the keys of the carol fixture under the user id alice. */
let alice2: Identity;
let record0: EpochRecord;
let record1: EpochRecord;
let entry0: EpochArchiveEntry;
let oldFp: string;
let newFp: string;
const conv = 'conv-archive-test';

/** What a device restored from alice2's key file pins: bob, and alice's old key (HIST5) for the records that name it. */
const resolveOld = (u: string): PublicIdentity | undefined => (u === 'alice' ? f.pub.alice : u === 'bob' ? f.pub.bob : undefined);

/** An entry alice2 signs properly, over any body: what a key-holding attacker of the archive could not make, and a buggy client could. */
async function signAs(who: Identity, body: Omit<EpochArchiveEntry, 'sig'>): Promise<EpochArchiveEntry> {
  const sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, who.signing.privateKey, buf(epochArchiveInput(body))));
  return { ...body, sig: toBase64Url(sig) };
}

async function wrapTo(who: Identity, record: EpochRecord, raw: Uint8Array): Promise<string> {
  const spki = fromBase64Url(who.public.encryptionKey);
  const key = await crypto.subtle.importKey('spki', buf(spki), { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
  const label = epochArchiveLabel(who.userId, record.conversationId, record.epoch, await epochHash(record));
  return toBase64Url(new Uint8Array(await crypto.subtle.encrypt({ name: 'RSA-OAEP', label: buf(label) }, key, buf(raw))));
}

beforeAll(async () => {
  f = await loadFixtures();
  const k = keyVectors.find((v) => v.userId === 'carol')!;
  alice2 = await importIdentityKeys({ ...k.public, userId: 'alice' }, fromBase64Url(k.encryptionPkcs8), fromBase64Url(k.signingPkcs8));
  record0 = (await createEpoch({ conversationId: conv, epoch: 0, creator: f.ids.bob, members: [f.pub.alice, f.pub.bob], previous: null })).record;
  record1 = (await createEpoch({ conversationId: conv, epoch: 1, creator: f.ids.alice, members: [f.pub.alice, f.pub.bob], previous: record0 })).record;
  const raw = await rawEpochKey(record0, f.ids.alice);
  entry0 = await archiveEpochKey(alice2, record0, raw);
  raw.fill(0);
  oldFp = await fingerprint(f.pub.alice);
  newFp = await fingerprint(alice2.public);
});

describe('the epoch key archive', () => {
  it('HIST1: an entry has an exact shape; extra, missing or mistyped fields are malformed, another version unsupported', async () => {
    expect(parseEpochArchiveEntry(JSON.parse(JSON.stringify(entry0)))).toEqual(entry0);
    expect(entry0).toMatchObject({ v: 1, type: 'epoch-archive', userId: 'alice', conversationId: conv, epoch: 0, previousKey: oldFp, recipientKey: newFp });
    expect(entry0.epochHash).toBe(await epochHash(record0));
    const code = (x: unknown) => {
      try {
        parseEpochArchiveEntry(x);
        return 'ok';
      } catch (e) {
        return (e as ProtocolError).code;
      }
    };
    expect(code({ ...entry0, extra: 1 })).toBe('malformed');
    const { sig: _s, ...noSig } = entry0;
    expect(code(noSig)).toBe('malformed');
    expect(code({ ...entry0, type: 'epoch' })).toBe('malformed');
    expect(code({ ...entry0, epoch: -1 })).toBe('malformed');
    expect(code({ ...entry0, wrappedKey: entry0.wrappedKey.slice(8) })).toBe('malformed');
    expect(code({ ...entry0, v: 2 })).toBe('unsupported-version');
    expect(code([entry0])).toBe('malformed');
  });

  it('HIST2: the entry verifies under the new key that signed it; every changed field, another signer, or the old key does not', async () => {
    expect(await verifyEpochArchiveEntry(entry0, alice2.public)).toEqual(entry0);
    let mutated = 0;
    for (const path of leafPaths(entry0)) {
      for (const v of mutationsOf(getAt(entry0, path))) {
        expect(await verifyEpochArchiveEntry(setAt(entry0, path, v), alice2.public), `${path.join('.')} = ${String(v)}`).toBeNull();
        mutated++;
      }
    }
    expect(mutated).toBeGreaterThan(100);
    // A wrong signer: the old key, another user's key, or an entry mallory signed naming herself as the recipient key.
    expect(await verifyEpochArchiveEntry(entry0, f.pub.alice)).toBeNull();
    expect(await verifyEpochArchiveEntry(entry0, f.pub.bob)).toBeNull();
    const { sig: _sig, ...body } = entry0;
    const byMallory = await signAs(f.ids.mallory, { ...body, recipientKey: await fingerprint(f.pub.mallory) });
    expect(await verifyEpochArchiveEntry(byMallory, alice2.public)).toBeNull();
    const resignedByOld = await signAs(f.ids.alice, body);
    expect(await verifyEpochArchiveEntry(resignedByOld, alice2.public)).toBeNull();
    // CANON1, PUR1: the signed bytes start with the archive purpose and bind every field.
    expect(epochArchiveInput(body)).toEqual(canonical(PURPOSE.epochArchive, [
      1, 'epoch-archive', 'alice', conv, 0, body.epochHash, oldFp, newFp, fromBase64Url(body.wrappedKey),
    ]));
  });

  it('HIST3: only the account\'s own epochs, wrapped to its earlier key, are archived, and only with the key the record commits to', async () => {
    // The old key opens the record; the new one does not (it is not named).
    expect(await errorCode(rawEpochKey(record0, alice2))).toBe('key-mismatch');
    // Bytes the record does not commit to are refused before anything is wrapped.
    expect(await errorCode(archiveEpochKey(alice2, record0, randomBytes(32)))).toBe('tampered');
    // A record that does not name this account (bob's identity under another user id would be someone else's epoch).
    const carolConv = (await createEpoch({ conversationId: 'conv-other', epoch: 0, creator: f.ids.bob, members: [f.pub.bob, f.pub.carol], previous: null })).record;
    const raw = await rawEpochKey(carolConv, f.ids.bob);
    expect(await errorCode(archiveEpochKey(alice2, carolConv, raw))).toBe('not-a-member');
    // A record already wrapped to the current key needs no entry.
    expect(await errorCode(archiveEpochKey(f.ids.bob, carolConv, raw))).toBe('malformed');
  });

  it('HIST4: a device holding only the new key opens an old epoch through its archive entry, and reads the messages of it', async () => {
    const opened = await openNextEpoch(record0, { me: alice2, resolveIdentity: resolveOld, conversationId: conv, held: [], ownKey: archiveKeySource([entry0], alice2) });
    const env = await sealMessage({
      conversationId: conv, epoch: 0, epochKey: (await openNextEpoch(record0, { me: f.ids.bob, resolveIdentity: resolveOld, conversationId: conv, held: [] })).key,
      sender: f.ids.bob, clientMessageId: '00000000-0000-4000-8000-000000000001', counter: 1, prevHash: null, plaintext: { type: 'text', body: 'before the loss', composedAt: 1 },
    });
    const res = await openMessage(env, { conversationId: conv, epochs: new Map([[0, { key: opened.key, members: opened.members }]]), resolveIdentity: resolveOld });
    expect(res.ok && res.plaintext.body).toBe('before the loss');
  });

  it('HIST4: without an archive the entry naming the old key is key-mismatch; with an archive lacking it, not-archived (unreadable, not forged)', async () => {
    const ctx = { me: alice2, resolveIdentity: resolveOld, conversationId: conv, held: [] };
    expect(await errorCode(openNextEpoch(record0, ctx))).toBe('key-mismatch');
    expect(await errorCode(openNextEpoch(record0, { ...ctx, ownKey: archiveKeySource([], alice2) }))).toBe('not-archived');
    // An entry for epoch 0 does not open epoch 1 (held: epoch 0 opened).
    const o0 = await openNextEpoch(record0, { ...ctx, ownKey: archiveKeySource([entry0], alice2) });
    expect(o0.members.length).toBe(2);
    expect(await errorCode(openNextEpoch(record1, { ...ctx, held: [record0], ownKey: archiveKeySource([entry0], alice2) }))).toBe('not-archived');
    const moved = await signAs(alice2, { ...entry0, epoch: 1 });
    expect(await errorCode(openNextEpoch(record1, { ...ctx, held: [record0], ownKey: archiveKeySource([moved], alice2) }))).toBe('tampered');
  });

  it('HIST4: an entry not signed by the reader\'s key, or one whose key does not open the epoch, is tampered, never skipped', async () => {
    const ctx = { me: alice2, resolveIdentity: resolveOld, conversationId: conv, held: [] };
    const { sig: _sig, ...body } = entry0;
    // The server (or anyone) re-signs an entry with its own key: refused.
    const byMallory = await signAs(f.ids.mallory, body);
    expect(await errorCode(openNextEpoch(record0, { ...ctx, ownKey: archiveKeySource([byMallory], alice2) }))).toBe('tampered');
    // A changed byte of the wrapped key breaks the signature.
    const flipped = { ...entry0, wrappedKey: toBase64Url(fromBase64Url(entry0.wrappedKey).map((b, i) => (i === 7 ? b ^ 1 : b))) };
    expect(await errorCode(openNextEpoch(record0, { ...ctx, ownKey: archiveKeySource([flipped], alice2) }))).toBe('tampered');
    // Validly signed, but holding another key: the commitment (EPOCH5) refuses it.
    const wrong = await signAs(alice2, { ...body, wrappedKey: await wrapTo(alice2, record0, randomBytes(32)) });
    expect(await verifyEpochArchiveEntry(wrong, alice2.public)).not.toBeNull();
    expect(await errorCode(openNextEpoch(record0, { ...ctx, ownKey: archiveKeySource([wrong], alice2) }))).toBe('tampered');
    // Wrapped under the EPOCH3 label instead of the archive's own: does not open.
    const raw = await rawEpochKey(record0, f.ids.alice);
    const spki = await crypto.subtle.importKey('spki', buf(fromBase64Url(alice2.public.encryptionKey)), { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
    const epochLabel = canonical(PURPOSE.epochWrap, [conv, 0, 'alice']);
    const otherLabel = toBase64Url(new Uint8Array(await crypto.subtle.encrypt({ name: 'RSA-OAEP', label: buf(epochLabel) }, spki, buf(raw))));
    const relabelled = await signAs(alice2, { ...body, wrappedKey: otherLabel });
    expect(await errorCode(openNextEpoch(record0, { ...ctx, ownKey: archiveKeySource([relabelled], alice2) }))).toBe('tampered');
    // A good entry beside a bad one still opens.
    const both = await openNextEpoch(record0, { ...ctx, ownKey: archiveKeySource([byMallory, entry0], alice2) });
    expect(both.members.map((m) => m.userId)).toEqual(['alice', 'bob']);
  });

  it('HIST5: the earlier keys a restored device takes as its own are only those its own key signed for', async () => {
    const { sig: _sig, ...body } = entry0;
    const fake = await signAs(f.ids.mallory, { ...body, previousKey: await fingerprint(f.pub.mallory) });
    const vouched = await vouchedPreviousKeys([entry0, fake, { junk: true }], alice2.public);
    expect([...vouched]).toEqual([oldFp]);
    expect([...(await vouchedPreviousKeys([entry0], f.pub.alice))]).toEqual([]);
  });
});
