// Bundled for Chromium by browser.test.ts: the same round trips and a tamper
// sample as the Node tests, run against the browser's own WebCrypto.
import keysJson from '../vectors/keys.json';
import keyfileJson from '../vectors/keyfile.json';
import envelopesJson from '../vectors/envelopes.json';
import epochsJson from '../vectors/epochs.json';
import {
  CryptoPool, envelopeSigningInput, KeyFileError, ProtocolError, createEpoch, createIdentity, envelopeHash, fromBase64Url, importIdentityKeys, importKeyFile, openEpoch,
  openMessage, safetyNumber, sealMessage, sha256Sync, toBase64Url, toHex, signLoginProof, verifyLoginProof,
  type Envelope, type EpochMember, type EpochRecord, type Identity, type PublicIdentity, type WorkerLike,
} from '../src/index.ts';

export interface CheckResult { name: string; ok: boolean; detail: string }

async function run(): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const check = async (name: string, fn: () => Promise<string | true>): Promise<void> => {
    try {
      const r = await fn();
      results.push({ name, ok: r === true, detail: r === true ? '' : r });
    } catch (e) {
      results.push({ name, ok: false, detail: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    }
  };
  const ids: Record<string, Identity> = {};
  const pins = new Map<string, PublicIdentity>();
  for (const k of keysJson.identities) {
    ids[k.userId] = await importIdentityKeys(k.public as PublicIdentity, fromBase64Url(k.encryptionPkcs8), fromBase64Url(k.signingPkcs8));
    pins.set(k.userId, k.public as PublicIdentity);
  }
  const resolve = (u: string) => pins.get(u);
  const conv = 'conv-browser';
  const alice = ids.alice!;
  const bob = ids.bob!;

  await check('CANON2: the synchronous SHA-256 equals the browser\'s WebCrypto', async () => {
    for (const n of [0, 3, 55, 56, 63, 64, 65, 119, 120, 1000, 5000]) {
      const b = crypto.getRandomValues(new Uint8Array(n));
      const want = toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', b)));
      if (toHex(sha256Sync(b)) !== want) return `length ${n}`;
    }
    return true;
  });

  let key0: CryptoKey | undefined;
  let rec0: EpochRecord | undefined;
  let bobEpoch: { key: CryptoKey; members: EpochMember[] } | undefined;
  await check('EPOCH1: create and open an epoch', async () => {
    const e = await createEpoch({ conversationId: conv, epoch: 0, creator: alice, members: [alice.public, bob.public], previous: null });
    key0 = e.key;
    rec0 = e.record;
    bobEpoch = await openEpoch(e.record, { me: bob, previous: null, resolveIdentity: resolve });
    return bobEpoch.members.length === 2 || 'members';
  });
  const ctx = () => ({ conversationId: conv, epochs: new Map([[0, bobEpoch!]]), resolveIdentity: resolve });
  let env: Envelope | undefined;
  await check('ENV1: seal and open a message', async () => {
    env = await sealMessage({ conversationId: conv, epoch: 0, epochKey: key0!, sender: alice, clientMessageId: crypto.randomUUID(), counter: 1, prevHash: null, plaintext: { type: 'text', body: 'hello from Chromium ✓', composedAt: 42 } });
    const r = await openMessage(env, ctx());
    return (r.ok && r.plaintext.body === 'hello from Chromium ✓' && r.hash === (await envelopeHash(env))) || JSON.stringify(r);
  });
  await check('ENV7: flipping every byte of every base64 field never opens', async () => {
    for (const field of ['iv', 'encryptedContent', 'tag', 'sig'] as const) {
      const bytes = fromBase64Url(env![field]);
      for (let i = 0; i < bytes.length; i++) {
        const b = bytes.slice();
        b[i] = b[i]! ^ 1;
        const r = await openMessage({ ...env!, [field]: toBase64Url(b) }, ctx());
        if (r.ok) return `${field}[${i}] opened`;
      }
    }
    for (const [k, v] of [['counter', 2], ['sender', 'bob'], ['epoch', 1], ['conversationId', 'x'], ['prevHash', 'ab'.repeat(32)]] as const) {
      const r = await openMessage({ ...env!, [k]: v }, ctx());
      if (r.ok) return `${k} opened`;
    }
    return true;
  });
  await check('OPEN4 (G3), OPEN6 (M7) in the crypto workers: a message opens; a flipped sig byte is a bad signature, a flipped sealed byte (signed again) is tampered', async () => {
    // The app's worker file (pwa/src/workers/crypto-worker.ts), served by browser.test.ts.
    const pool = new CryptoPool({ size: 2, minBatch: 1, spawn: () => new Worker('/crypto-worker.js', { type: 'module' }) as unknown as WorkerLike });
    const inPool = () => ({ ...ctx(), crypto: pool });
    try {
      const good = await openMessage(env!, inPool());
      if (!good.ok || good.plaintext.body !== 'hello from Chromium ✓' || good.hash !== (await envelopeHash(env!))) return `good: ${JSON.stringify(good)}`;
      if (pool.running !== 2) return `${pool.running} workers running`;
      for (const field of ['iv', 'encryptedContent', 'tag', 'sig'] as const) {
        const bytes = fromBase64Url(env![field]);
        // A flipped sig must fail OPEN4; flipped sealed bytes, signed again by the sender
        // (an insider, or OPEN4 gone), must fail OPEN6's AES-GCM tag.
        const flipped = Array.from(bytes, async (_, i) => {
          const b = bytes.slice();
          b[i] = b[i]! ^ 1;
          let bad: Envelope = { ...env!, [field]: toBase64Url(b) };
          if (field !== 'sig') {
            const sig = await crypto.subtle.sign('Ed25519', alice.signing.privateKey, envelopeSigningInput(bad) as Uint8Array<ArrayBuffer>);
            bad = { ...bad, sig: toBase64Url(new Uint8Array(sig)) };
          }
          return openMessage(bad, inPool());
        });
        const want = field === 'sig' ? 'bad-signature' : 'tampered';
        for (const [i, r] of (await Promise.all(flipped)).entries()) if (r.ok || r.error !== want) return `${field}[${i}]: ${JSON.stringify(r)}`;
      }
      return !pool.fellBack || 'the workers failed: it ran on the main thread';
    } finally {
      pool.close();
    }
  });
  await check('EPOCH4: flipping bytes of an epoch record never opens', async () => {
    const w = fromBase64Url(rec0!.wrappedKeys[1]!.wrappedKey);
    for (let i = 0; i < w.length; i += 7) {
      const b = w.slice();
      b[i] = b[i]! ^ 1;
      const bad = { ...rec0!, wrappedKeys: [rec0!.wrappedKeys[0]!, { userId: 'bob', wrappedKey: toBase64Url(b) }] };
      const opened = await openEpoch(bad, { me: bob, previous: null, resolveIdentity: resolve }).then(() => true, (e: unknown) => !(e instanceof ProtocolError));
      if (opened) return `wrappedKey[${i}]`;
    }
    return true;
  });
  await check('vectors: envelopes and epochs from Node open identically', async () => {
    const recs = epochsJson.records as unknown as Record<string, EpochRecord>;
    const epochs = new Map([
      [0, await openEpoch(recs.e0!, { me: alice, previous: null, resolveIdentity: resolve })],
      [1, await openEpoch(recs.e1!, { me: alice, previous: recs.e0!, resolveIdentity: resolve })],
    ]);
    for (const c of envelopesJson.cases) {
      const r = await openMessage(c.envelope as unknown as Envelope, { conversationId: envelopesJson.conversationId, epochs, resolveIdentity: resolve });
      const want = 'error' in c.expect ? JSON.stringify({ ok: false, error: c.expect.error }) : JSON.stringify({ ok: true, ...c.expect });
      if (JSON.stringify(r) !== want) return `${c.name}: ${JSON.stringify(r)}`;
    }
    return true;
  });
  await check('SN2: safety number matches the Node vector', async () => {
    const v = keysJson.safetyNumbers[0]!;
    const s = await safetyNumber(pins.get(v.a)!, pins.get(v.b)!);
    return (s.digits === v.digits && s.qrPayload === v.qrPayload) || s.digits;
  });
  await check('AUTH1: login proof round trip', async () => {
    const nonce = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
    const proof = await signLoginProof(alice, { nonce, origin: location.origin });
    return (await verifyLoginProof(alice.public, { nonce, origin: location.origin, userId: 'alice' }, proof)) || 'did not verify';
  });
  await check('KF1: the Node key file vector imports with the real KDF', async () => {
    const id = await importKeyFile(keyfileJson.keyFile, keyfileJson.passphrase);
    return (id.userId === 'alice' && !id.signing.privateKey.extractable) || 'wrong identity';
  });
  await check('KF7, G1: key file tamper sample', async () => {
    const codeOf = (t: string, p: string) => importKeyFile(t, p).then(() => 'opened', (e: unknown) => (e instanceof KeyFileError ? e.code : String(e)));
    const file = JSON.parse(keyfileJson.keyFile) as { ciphertext: string };
    const ct = fromBase64Url(file.ciphertext);
    for (let i = 0; i < ct.length; i += 97) {
      const b = ct.slice();
      b[i] = b[i]! ^ 1;
      const c = await codeOf(JSON.stringify({ ...file, ciphertext: toBase64Url(b) }), keyfileJson.passphrase);
      if (c !== 'damaged') return `ciphertext[${i}]: ${c}`;
    }
    const wrong = await codeOf(keyfileJson.keyFile, 'not it');
    return wrong === 'wrong-passphrase' || wrong;
  });
  await check('KEY1, KF1: createIdentity in the browser and re-import its key file', async () => {
    const { identity, keyFile } = await createIdentity('browser-user', 'pass phrase');
    const back = await importKeyFile(keyFile, 'pass phrase');
    return (back.public.signingKey === identity.public.signingKey && !identity.encryption.privateKey.extractable) || 'mismatch';
  });
  return results;
}

(globalThis as unknown as { runProtocolChecks: typeof run }).runProtocolChecks = run;
