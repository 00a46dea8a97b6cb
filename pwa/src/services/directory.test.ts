// The directory's trust on first use, with key histories (ACCT5, THREATS M2 and L1): a
// rotation signed by the pinned key is followed with a notice; a reset, a rotation whose
// signature does not hold, and a key the history cannot explain stay pending and block.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { randomBytes, signRotation, toBase64Url, type Identity, type KeyEntry, type KeysResponse } from '../../../protocol/src/index.ts';
import { identity as fixtureIdentity } from '../../../test/support/identities.ts';
import { openDatabase } from '../stores/db.ts';
import type { Api } from './api.ts';
import { Directory } from './directory.ts';

let n = 0;

function entry(version: number, id: Identity, kind: KeyEntry['kind'], rotation: KeyEntry['rotation'] = null): KeyEntry {
  return { version, identity: id.public, proof: '', createdAt: '', kind, rotation };
}

async function rotated(version: number, signer: Identity, next: Identity): Promise<KeyEntry> {
  const nonce = toBase64Url(randomBytes(32));
  const signature = await signRotation(signer, { nonce, fromVersion: version - 1 }, next.public);
  return entry(version, next, 'rotation', { nonce, signature });
}

/** A directory that serves whatever history the test sets, under a display name it chose. */
function directoryServing() {
  const served: { answer: KeysResponse | null } = { answer: null };
  const api = { keys: async () => served.answer! } as unknown as Api;
  return { api, serve: (history: KeyEntry[]) => { served.answer = { userId: 'bob', displayName: 'Bob', current: history.at(-1)!, history }; } };
}

async function setup() {
  const db = await openDatabase(`directory-${++n}`);
  const { api, serve } = directoryServing();
  const dir = new Directory(db, api);
  const v1 = await fixtureIdentity('bob');
  const v2 = await fixtureIdentity('carol', 'bob');
  const v3 = await fixtureIdentity('dave', 'bob');
  const mallory = await fixtureIdentity('mallory', 'bob');
  serve([entry(1, v1, 'initial')]);
  expect((await dir.refresh('bob')).outcome).toBe('pinned');
  return { db, dir, serve, v1, v2, v3, mallory };
}

describe('directory: key changes by kind (ACCT5)', () => {
  it('follows a rotation signed by the pinned key, with a notice, not a block', async () => {
    const { dir, serve, v1, v2 } = await setup();
    serve([entry(1, v1, 'initial'), await rotated(2, v1, v2)]);
    const { outcome, contact } = await dir.refresh('bob');
    expect(outcome).toBe('changed');
    expect(contact.pending).toBeNull();
    expect(contact.pinned).toEqual(v2.public);
    expect(contact.rotatedAt).toBeTypeOf('number');
    expect(contact.verified).toBe(false);
    expect(contact.history.map((h) => h.change)).toEqual([undefined, 'rotation']);
  });

  it('follows two signed rotations in a row, and calls a reset anywhere on the way a reset', async () => {
    const a = await setup();
    a.serve([entry(1, a.v1, 'initial'), await rotated(2, a.v1, a.v2), await rotated(3, a.v2, a.v3)]);
    expect((await a.dir.refresh('bob')).contact.pinned).toEqual(a.v3.public);

    const b = await setup();
    b.serve([entry(1, b.v1, 'initial'), entry(2, b.v2, 'reset'), await rotated(3, b.v2, b.v3)]);
    const { contact } = await b.dir.refresh('bob');
    expect(contact.pinned).toEqual(b.v1.public);
    expect(contact.pending?.change).toBe('reset');
  });

  it('keeps a forged rotation pending (the server calls it a rotation, the signature is by another key)', async () => {
    const { dir, serve, v1, v2, mallory } = await setup();
    serve([entry(1, v1, 'initial'), await rotated(2, mallory, v2)]);
    const { contact } = await dir.refresh('bob');
    expect(contact.pinned).toEqual(v1.public);
    expect(contact.pending?.change).toBe('forged-rotation');
  });

  it('keeps a change the history cannot explain pending: the pinned key left out of the history', async () => {
    const { dir, serve, v2, v3 } = await setup();
    serve([entry(1, v2, 'initial'), await rotated(2, v2, v3)]);
    const { contact } = await dir.refresh('bob');
    expect(contact.pending?.change).toBe('unexplained');
    // Asked again, the recorded kind stays (nothing is reclassified into a rotation).
    expect((await dir.refresh('bob')).contact.pending?.change).toBe('unexplained');
  });
});
