// This device's own signing key (DEV1) and its certificate by the account key (DEV2).
// Made once per device and kept in the settings store as a non-extractable CryptoKey
// (structured clone keeps it opaque); certified again when the account key changes
// (DEV11: a certificate counts only under the key it names).
import { certifyDevice, createDeviceKey, fingerprint, type DeviceCertificate, type DeviceSigner, type Identity } from '../../../protocol/src/index.ts';
import type { Db } from '../stores/db.ts';

const KEY = 'device-key';

/** What is stored: the key pair (private half non-extractable) and the latest certificate. */
export interface DeviceKeyRow {
  deviceId: string;
  keyPair: CryptoKeyPair;
  publicKey: string;
  cert: DeviceCertificate | null;
  /** Whether the service has acknowledged the current certificate (DEV2). */
  published?: boolean;
}

export async function loadDeviceKey(db: Db): Promise<DeviceKeyRow | undefined> {
  return (await db.get('settings', KEY))?.value as DeviceKeyRow | undefined;
}

export class DeviceKeys {
  private readonly db: Db;
  private readonly identity: () => Identity;
  private pending: Promise<DeviceSigner> | null = null;
  private fingerprintOf: string | null = null;
  private readonly publish: ((cert: DeviceCertificate) => Promise<unknown>) | undefined;

  constructor(p: { db: Db; identity: () => Identity; publish?: (cert: DeviceCertificate) => Promise<unknown> }) {
    this.db = p.db;
    this.identity = p.identity;
    this.publish = p.publish;
  }

  /** This device's signer, made and certified on first use; one at a time. */
  async signer(): Promise<DeviceSigner> {
    const fp = await fingerprint(this.identity().public);
    if (this.pending === null || this.fingerprintOf !== fp) {
      this.fingerprintOf = fp;
      this.pending = this.load(fp);
      this.pending.catch(() => {
        this.pending = null;
      });
    }
    return this.pending;
  }

  /** This device's id (DEV1), making the key if there is none yet. */
  async deviceId(): Promise<string> {
    return (await this.signer()).cert.deviceId;
  }

  private async load(fp: string): Promise<DeviceSigner> {
    const identity = this.identity();
    let row = await loadDeviceKey(this.db);
    if (row === undefined || (row.cert !== null && row.cert.userId !== identity.userId)) {
      // DEV1: a key of this device's own; another account's key on this browser is not reused.
      const k = await createDeviceKey();
      row = { deviceId: k.deviceId, keyPair: k.keyPair, publicKey: k.publicKey, cert: null };
    }
    if (row.cert === null || row.cert.accountFingerprint !== fp) {
      row = { ...row, cert: await certifyDevice(identity, { deviceId: row.deviceId, deviceKey: row.publicKey, createdAt: Date.now() }), published: false };
      await this.db.put('settings', { key: KEY, value: row });
    }
    const cert = row.cert!;
    if (!row.published && this.publish) {
      // Best effort, once per start until the service has it: offline, messages still carry the certificate (DEV5).
      const done = row;
      const publish = this.publish;
      void Promise.resolve()
        .then(() => publish(cert))
        .then(() => this.db.put('settings', { key: KEY, value: { ...done, published: true } }))
        .catch(() => undefined);
    }
    return { cert, privateKey: row.keyPair.privateKey };
  }
}
