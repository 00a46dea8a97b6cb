// This device's own key (DEV1, DEV2, DEV11): made once, kept non-extractable, certified by
// the account key, certified again when the account key changes, never another account's.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { fingerprint, verifyDeviceCertificate } from '../../../protocol/src/index.ts';
import { identity as fixtureIdentity } from '../../../test/support/identities.ts';
import { openDatabase } from '../stores/db.ts';
import { DeviceKeys, loadDeviceKey } from './device-key.ts';

let n = 0;

describe('this device\'s key', () => {
  it('DEV1, DEV2: made once per device, private half non-extractable, certified by the account key and published once', async () => {
    const db = await openDatabase(`device-key-${++n}`);
    const alice = await fixtureIdentity('alice');
    const published: string[] = [];
    const keys = new DeviceKeys({ db, identity: () => alice, publish: async (c) => void published.push(c.deviceId) });
    const a = await keys.signer();
    expect(await verifyDeviceCertificate(a.cert, alice.public)).not.toBeNull();
    expect(a.privateKey.extractable).toBe(false);
    // Another start of the app (a new DeviceKeys on the same database): the same key and certificate.
    const again = await new DeviceKeys({ db, identity: () => alice }).signer();
    expect(again.cert).toEqual(a.cert);
    await expect.poll(() => published).toEqual([a.cert.deviceId]);
    await expect.poll(async () => (await loadDeviceKey(db))?.published).toBe(true);
  });

  it('DEV11: after a rotation the same device key is certified again by the new account key; another account never reuses it', async () => {
    const db = await openDatabase(`device-key-${++n}`);
    const alice = await fixtureIdentity('alice');
    let current = alice;
    const keys = new DeviceKeys({ db, identity: () => current });
    const before = await keys.signer();
    current = await fixtureIdentity('bob', 'alice'); // alice's next key
    const after = await keys.signer();
    expect(after.cert.deviceId).toBe(before.cert.deviceId);
    expect(after.cert.deviceKey).toBe(before.cert.deviceKey);
    expect(after.cert.accountFingerprint).toBe(await fingerprint(current.public));
    expect(await verifyDeviceCertificate(after.cert, current.public)).not.toBeNull();
    expect(await verifyDeviceCertificate(before.cert, current.public)).toBeNull();
    // Another account signs in on this browser: a new device key, not alice's.
    const carol = await fixtureIdentity('carol');
    const other = await new DeviceKeys({ db, identity: () => carol }).signer();
    expect(other.cert.deviceId).not.toBe(before.cert.deviceId);
    expect(other.cert.deviceKey).not.toBe(before.cert.deviceKey);
  });
});
