// Contacts' devices as notices in a conversation (issue 12: key-change words tell "new
// device" and "revoked device" apart from a rotation and from an unexplained change). In the
// online chunk; views.ts asks for them with the timeline events.
import type { Envelope } from '../../../protocol/src/index.ts';
import type { Db, LogRow } from '../stores/db.ts';
import type { EventView } from './views.ts';

/**
 * From a conversation's accepted messages (version 2): "bea linked a new device" where a
 * message first comes from a device of theirs other than the first one seen here (its
 * certificate held under the pinned key, DEV7); "bea removed one of their devices" after the
 * last message of a device whose revocation this device verified and stored (DEV8,
 * device-revocation.ts). Never for this account's own devices (the device list says those).
 */
export async function deviceEvents(db: Db, me: string, rows: readonly LogRow[]): Promise<EventView[]> {
  const seen = new Map<string, Map<string, { last: number; epoch: number }>>();
  const out: EventView[] = [];
  for (const row of rows) {
    if (row.kind !== 'message' || !row.check.ok) continue;
    const env = row.body as Envelope;
    if (env.v !== 2 || env.sender === me) continue;
    const devices = seen.get(env.sender) ?? new Map<string, { last: number; epoch: number }>();
    seen.set(env.sender, devices);
    const known = devices.get(env.device.deviceId);
    if (known) {
      known.last = row.seq;
      continue;
    }
    if (devices.size > 0) out.push({ id: `device-${row.seq}`, seq: row.seq, epoch: env.epoch, by: env.sender, events: [{ code: 'device-added', by: env.sender, userId: env.sender }] });
    devices.set(env.device.deviceId, { last: row.seq, epoch: env.epoch });
  }
  for (const [userId, devices] of seen) {
    const stored = (await db.get('settings', `revocations:${userId}`))?.value as { deviceId: string }[] | undefined;
    const revoked = new Set((stored ?? []).map((r) => r.deviceId));
    for (const [deviceId, d] of devices) {
      if (revoked.has(deviceId)) out.push({ id: `revoked-${deviceId}`, seq: d.last, epoch: d.epoch, by: userId, events: [{ code: 'device-revoked', by: userId, userId }] });
    }
  }
  return out;
}
