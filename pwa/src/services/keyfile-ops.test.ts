// Making the key file again under a new passphrase: only from a key file of this account
// and its passphrase (private keys on the device are non-extractable); a wrong passphrase,
// a damaged file and another account's file are told apart.
import { describe, expect, it } from 'vitest';
import { importKeyFile, writeKeyFile } from '../../../protocol/src/index.ts';
import { publicOf, secretsOf } from '../../../test/support/identities.ts';
import { rewrapKeyFile } from './keyfile-ops.ts';

const OLD = 'old passphrase: seven quiet lanterns drift';
const NEW = 'new passphrase: granite otters hum at dawn';

describe('rewrapKeyFile', () => {
  it('seals the same keys under the new passphrase; the old passphrase no longer opens the new file', async () => {
    const file = await writeKeyFile(secretsOf('alice'), OLD);
    const again = await rewrapKeyFile(file, OLD, NEW, publicOf('alice'));
    expect(again).not.toBe(file);
    const id = await importKeyFile(again, NEW);
    expect(id.public).toEqual(publicOf('alice'));
    await expect(importKeyFile(again, OLD)).rejects.toMatchObject({ code: 'wrong-passphrase' });
  });

  it('tells a wrong passphrase, a damaged file, something else and another account apart', async () => {
    const file = await writeKeyFile(secretsOf('alice'), OLD);
    await expect(rewrapKeyFile(file, 'not the passphrase at all', NEW, publicOf('alice'))).rejects.toMatchObject({ code: 'wrong-passphrase' });
    const json = JSON.parse(file) as { ciphertext: string };
    const c = json.ciphertext;
    const damaged = JSON.stringify({ ...json, ciphertext: c.slice(0, 5) + (c[5] === 'A' ? 'B' : 'A') + c.slice(6) });
    await expect(rewrapKeyFile(damaged, OLD, NEW, publicOf('alice'))).rejects.toMatchObject({ code: 'damaged' });
    await expect(rewrapKeyFile('{"hello":1}', OLD, NEW, publicOf('alice'))).rejects.toMatchObject({ code: 'not-a-key-file' });

    const bobs = await writeKeyFile(secretsOf('bob'), OLD);
    await expect(rewrapKeyFile(bobs, OLD, NEW, publicOf('alice'))).rejects.toMatchObject({ code: 'other-account', message: 'This key file belongs to bob, not to alice.' });
    // Another account's file with the wrong passphrase too: still named as another account's.
    await expect(rewrapKeyFile(bobs, 'wrong', NEW, publicOf('alice'))).rejects.toMatchObject({ code: 'other-account' });
    // Same user id, another key (an impostor's file): not this account's key either.
    const other = await writeKeyFile(secretsOf('mallory', 'alice'), OLD);
    await expect(rewrapKeyFile(other, OLD, NEW, publicOf('alice'))).rejects.toMatchObject({ code: 'other-account', message: expect.stringMatching(/different key/) });
  });
});
