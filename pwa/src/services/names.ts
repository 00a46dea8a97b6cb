// Display names (protocol SPEC §8b), loaded after the first paint. A contact's name is the
// latest accepted "profile" message they sent (NAME1), opened from the log in memory and
// kept in memory only; the user's own name is kept sealed on the device (like drafts,
// stores/drafts.ts) so it can be sent to conversations started later.
import { cleanDisplayName, shownName } from '../../../protocol/src/index.ts';
import { getEpochs } from '../stores/conversations.ts';
import type { Db, EpochRow } from '../stores/db.ts';
import { deviceKey } from '../stores/drafts.ts';
import { contactMap } from './keyring.ts';
import type { Views } from './views.ts';

const MINE = 'profile-name';
const aad = new TextEncoder().encode('messagehub-profile/name');

export class Names {
  /** Per conversation, the last log seq read. */
  private readonly read = new Map<string, number>();
  private readonly latest = new Map<string, { name: string; at: number }>();

  constructor(private readonly db: Db, private readonly views: Views, private readonly me: string) {}

  /** Names to show, by user id (NAME4 applied: a name reading as another known user id is left out). */
  async refresh(conversationIds: string[]): Promise<Map<string, string>> {
    const contacts = await contactMap(this.db);
    for (const cid of conversationIds) {
      const rows = await this.db.getAll('log', IDBKeyRange.bound([cid, (this.read.get(cid) ?? 0) + 1], [cid, Infinity]));
      let epochs: Map<number, EpochRow> | undefined;
      for (const row of rows) {
        if (row.kind !== 'message' || !row.check.ok || row.check.kind !== 'profile') continue;
        epochs ??= new Map((await getEpochs(this.db, cid)).map((e) => [e.epoch, e]));
        const p = await this.views.plainOf(cid, row, contacts, epochs);
        const cur = p && this.latest.get(p.sender);
        if (p && p.plaintext.type === 'profile' && (!cur || p.plaintext.composedAt >= cur.at)) this.latest.set(p.sender, { name: p.plaintext.body, at: p.plaintext.composedAt });
      }
      if (rows.length) this.read.set(cid, rows[rows.length - 1]!.seq);
    }
    const known = [this.me, ...contacts.keys()];
    const out = new Map<string, string>();
    for (const [userId, { name }] of this.latest) {
      const shown = shownName(name, userId, known);
      if (shown) out.set(userId, shown);
    }
    return out;
  }

  /** The user's own name ('' if none), unsealed. */
  async mine(): Promise<string> {
    const v = (await this.db.get('settings', MINE))?.value as { iv: Uint8Array<ArrayBuffer>; ct: ArrayBuffer } | undefined;
    if (!v?.iv) return '';
    try {
      return new TextDecoder().decode(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: v.iv, additionalData: aad }, await deviceKey(this.db), v.ct));
    } catch {
      return '';
    }
  }

  /** NAME2: cleans and seals the user's own name; returns it as it will be sent ('' removes it). */
  async setMine(raw: string): Promise<string> {
    const name = cleanDisplayName(raw);
    if (!name) {
      await this.db.delete('settings', MINE);
      return '';
    }
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, await deviceKey(this.db), new TextEncoder().encode(name));
    await this.db.put('settings', { key: MINE, value: { iv, ct } });
    return name;
  }
}
