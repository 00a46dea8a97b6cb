// Revoked devices (DEV8..DEV10): this account revokes one of its devices with a record
// signed by the account key, naming per conversation the last message of that device this
// device accepted (DEV9); and every device learns other users' revocations from the
// service, keeps only those that verify under the key it pinned for that user, and never
// forgets one (a revocation is final). Ingest hands them to openMessage.
import {
  verifyDeviceRevocation, revokeDevice, type DeviceRevocation, type PublicIdentity,
} from '../../../protocol/src/index.ts';
import { getTranscript, listConversations } from '../stores/conversations.ts';
import type { ContactRow, Db } from '../stores/db.ts';
import type { Api } from './api.ts';
import type { Keyring } from './keyring.ts';

const PREFIX = 'revocations:';

/** DEV10: the revocation of one device of one user, as openMessage asks for it. */
export type RevokedDevice = (userId: string, deviceId: string) => DeviceRevocation | undefined;

export async function storedRevocations(db: Db, userId: string): Promise<DeviceRevocation[]> {
  return ((await db.get('settings', PREFIX + userId))?.value as DeviceRevocation[] | undefined) ?? [];
}

async function remember(db: Db, userId: string, revs: readonly DeviceRevocation[]): Promise<DeviceRevocation[]> {
  const stored = await storedRevocations(db, userId);
  const byDevice = new Map(stored.map((r) => [r.deviceId, r]));
  // Final: the first verified revocation of a device is kept; nothing removes it.
  for (const r of revs) if (!byDevice.has(r.deviceId)) byDevice.set(r.deviceId, r);
  const all = [...byDevice.values()];
  if (all.length !== stored.length) await db.put('settings', { key: PREFIX + userId, value: all });
  return all;
}

export class DeviceRevocations {
  private readonly db: Db;
  private readonly api: Api;
  private readonly keyring: Keyring;

  constructor(p: { db: Db; api: Api; keyring: Keyring }) {
    this.db = p.db;
    this.api = p.api;
    this.keyring = p.keyring;
  }

  private pinnedKey(userId: string, contacts: Map<string, ContactRow>): PublicIdentity | undefined {
    return userId === this.keyring.me ? this.keyring.identity.public : contacts.get(userId)?.pinned;
  }

  /**
   * The verified revocations of these users' devices: those the service offers now that
   * verify under the PINNED key (DEV8), with every one verified before. Offline, or for a
   * service that answers nothing usable, the stored ones alone.
   */
  async lookup(userIds: Iterable<string>, contacts: Map<string, ContactRow>): Promise<RevokedDevice> {
    const table = new Map<string, DeviceRevocation>();
    for (const userId of new Set(userIds)) {
      const pinned = this.pinnedKey(userId, contacts);
      let fresh: DeviceRevocation[] = [];
      if (pinned) {
        try {
          const { revocations } = await this.api.devices(userId);
          for (const r of Array.isArray(revocations) ? revocations : []) {
            const ok = await verifyDeviceRevocation(r, pinned);
            if (ok && ok.userId === userId) fresh.push(ok);
          }
        } catch {
          fresh = []; // offline or unknown: what was verified before still holds
        }
      }
      for (const r of await remember(this.db, userId, fresh)) table.set(`${userId}#${r.deviceId}`, r);
    }
    return (userId, deviceId) => table.get(`${userId}#${deviceId}`);
  }

  /** The revocations verified and stored before, with no request (typing signals, TYP5). */
  async stored(userIds: Iterable<string>): Promise<RevokedDevice> {
    const table = new Map<string, DeviceRevocation>();
    for (const u of userIds) for (const r of await storedRevocations(this.db, u)) table.set(`${u}#${r.deviceId}`, r);
    return (userId, deviceId) => table.get(`${userId}#${deviceId}`);
  }

  /**
   * "I lost a device", first step (DEV8, DEV9): revoke it for good. The cut-off in each
   * conversation is the last message of that device this device accepted; what it sent
   * that this device never saw is refused everywhere. Stored here at once; then sent.
   */
  async revoke(deviceId: string): Promise<DeviceRevocation> {
    const me = this.keyring.me;
    const lastSeen: { conversationId: string; counter: number; hash: string }[] = [];
    for (const c of await listConversations(this.db)) {
      const s = (await getTranscript(this.db, c.conversationId))?.senders[`${me}#${deviceId}`];
      if (s && s.counter > 0) lastSeen.push({ conversationId: c.conversationId, counter: s.counter, hash: s.hash });
    }
    const rev = await revokeDevice(this.keyring.identity, { deviceId, createdAt: Date.now(), lastSeen });
    await remember(this.db, me, [rev]);
    await this.api.revokeDevice(deviceId, rev);
    return rev;
  }
}
