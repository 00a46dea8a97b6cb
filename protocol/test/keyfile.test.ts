import { beforeAll, describe, expect, it } from 'vitest';
import keyfileVector from '../vectors/keyfile.json';
import {
  KDF_DEFAULTS, KeyFileError, createIdentity, fromBase64Url, importKeyFile, keyFileChecksum, toBase64Url, writeKeyFile,
  type KeyFileJson,
} from '../src/index.ts';
import { getAt, keyVectors, leafPaths, mutationsOf, setAt } from './fixtures.ts';

const pass = keyfileVector.passphrase;
const text = keyfileVector.keyFile;
const file = JSON.parse(text) as KeyFileJson;

async function codeOf(t: string, p = pass): Promise<string> {
  try {
    await importKeyFile(t, p);
    return 'opened';
  } catch (e) {
    if (e instanceof KeyFileError) return e.code;
    throw e;
  }
}

async function withChecksum(f: KeyFileJson): Promise<string> {
  const { checksum: _drop, ...rest } = f;
  void _drop;
  return JSON.stringify({ ...rest, checksum: await keyFileChecksum(rest) });
}

let created: { keyFile: string; userId: string };

beforeAll(async () => {
  const stages: string[] = [];
  const c = await createIdentity('dora', 'a passphrase', { onProgress: (s) => stages.push(s) });
  created = { keyFile: c.keyFile, userId: c.identity.userId };
  expect(stages).toContain('kdf');
  expect(c.identity.encryption.privateKey.extractable).toBe(false);
  expect(c.identity.signing.privateKey.extractable).toBe(false);
}, 60_000);

describe('key file', () => {
  it('KF1, KEY1, KEY2: createIdentity writes a key file that imports to the same non-extractable identity', async () => {
    const id = await importKeyFile(created.keyFile, 'a passphrase');
    expect(id.userId).toBe('dora');
    expect(id.encryption.privateKey.extractable).toBe(false);
    expect(id.signing.privateKey.extractable).toBe(false);
    const parsed = JSON.parse(created.keyFile) as KeyFileJson;
    expect(parsed.kdf).toMatchObject({ alg: 'argon2id', memoryKiB: 65536, passes: 3, parallelism: 1 });
    expect(id.public).toEqual(parsed.public);
  });

  it('KF1, KF3: the checked-in vector (default Argon2id) opens to alice', async () => {
    const id = await importKeyFile(text, pass);
    expect(id.public).toEqual(keyfileVector.expect.public);
    expect(file.kdf).toMatchObject({ ...KDF_DEFAULTS });
  });

  it('KF7: the vector failures give their four named errors', async () => {
    for (const c of keyfileVector.failures) expect(await codeOf(c.keyFile, c.passphrase), c.name).toBe(c.expect);
    expect(await codeOf('[1,2]')).toBe('not-a-key-file');
    // Cut short (issue 16): still names the format, so it is damaged, not "not a key file".
    const whole = JSON.stringify(file, null, 2);
    for (const cut of [whole.slice(0, whole.length / 2), whole.slice(0, whole.length - 3), JSON.stringify(file).slice(0, 200)]) {
      expect(await codeOf(cut)).toBe('damaged');
    }
    expect(await codeOf(JSON.stringify({ ...file, version: '1' }))).toBe('unsupported-version');
  });

  it('KF4, C2: lowered KDF parameters are refused before any derivation, even with a recomputed checksum', async () => {
    for (const kdf of [{ memoryKiB: 65535 }, { passes: 2 }, { parallelism: 0 }, { memoryKiB: 8 * 1024 * 1024 }]) {
      const t0 = performance.now();
      const err = await importKeyFile(await withChecksum({ ...file, kdf: { ...file.kdf, ...kdf } }), pass).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KeyFileError);
      expect((err as KeyFileError).code).toBe('damaged');
      expect((err as KeyFileError).message).toMatch(/floor/);
      expect(performance.now() - t0).toBeLessThan(150); // no Argon2id run
    }
    await expect(writeKeyFile({ pub: file.public, encryptionPkcs8: new Uint8Array(1), signingPkcs8: new Uint8Array(1) }, pass, { passes: 2 })).rejects.toMatchObject({ code: 'malformed' });
  });

  it('KF2, G1: header and ciphertext changes with a recomputed checksum all end in the one GCM error', async () => {
    const ct = fromBase64Url(file.ciphertext);
    ct[100] = ct[100]! ^ 1;
    const cases: KeyFileJson[] = [
      { ...file, ciphertext: toBase64Url(ct) },
      { ...file, kdf: { ...file.kdf, passes: 4 } },
      { ...file, iv: toBase64Url(new Uint8Array(12)) },
    ];
    for (const c of cases) expect(await codeOf(await withChecksum(c))).toBe('wrong-passphrase');
    // a public identity swapped for bob's (damage check passes) does not decrypt either
    const bob = keyVectors.find((k) => k.userId === 'bob')!.public;
    expect(await codeOf(await withChecksum({ ...file, userId: 'bob', public: bob }))).toBe('wrong-passphrase');
  }, 30_000);

  it('KF5, KF7: flipping any byte of any field is caught as damaged (or named) without deriving', async () => {
    let tried = 0;
    const t0 = performance.now();
    for (const path of leafPaths(file)) {
      if (path[0] === 'format' || path[0] === 'version') continue; // these choose other named errors, tested above
      for (const m of mutationsOf(getAt(file, path))) {
        expect(await codeOf(JSON.stringify(setAt(file, path, m))), `${path.join('.')} = ${String(m).slice(0, 16)}`).toBe('damaged');
        tried++;
      }
    }
    expect(tried).toBeGreaterThan(2500);
    expect((performance.now() - t0) / tried).toBeLessThan(20);
  });

  it('KF5, G2: swapping any field with another key file is damaged', async () => {
    const other = JSON.parse(created.keyFile) as KeyFileJson;
    for (const path of leafPaths(file)) {
      const swapped = setAt(file, path, getAt(other, path));
      if (JSON.stringify(swapped) === JSON.stringify(file)) continue;
      expect(await codeOf(JSON.stringify(swapped)), path.join('.')).toBe('damaged');
    }
  });

  it('KF6, T7: the file size depends only on the keys, not on the passphrase or the run', async () => {
    const secrets = { pub: file.public, encryptionPkcs8: fromBase64Url(keyVectors[0]!.encryptionPkcs8), signingPkcs8: fromBase64Url(keyVectors[0]!.signingPkcs8) };
    const again = await writeKeyFile(secrets, 'a completely different and much longer passphrase');
    expect(again.length).toBe(text.length);
    expect(fromBase64Url((JSON.parse(again) as KeyFileJson).ciphertext).length).toBe(2560 + 16);
  }, 30_000);

  it('KF8, M6: the identity comes only from the file and passphrase; a wrong passphrase gives nothing else', async () => {
    const err = await importKeyFile(text, 'wrong').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyFileError);
    expect(Object.keys(err as object).sort()).toEqual(['code', 'name']);
    expect((err as KeyFileError).message).toBe('wrong passphrase, or the key file was altered');
  }, 30_000);
});
