import { randomInt } from 'node:crypto';
import type { IBaseProtocol } from 'pg-promise';
import { LINK_ALPHABET, LINK_PART_CHARS } from '../../../protocol/src/link.ts';
import { sql } from './sql/index.ts';

/** The sealed handover as relayed (protocol LINK3): opaque to the service. */
export interface SealedHandoverRow { v: 1; publicKey: string; iv: string; ciphertext: string }

/** device_links: short-lived relay slots for linking a device (LINK5). */
export class DeviceLinksRepository {
  constructor(private readonly db: IBaseProtocol<unknown>) {}

  /** A new slot under a free random locator (LINK1); null if none was free in a few tries. */
  async create(p: { tokenHash: Buffer; publicKey: string; ttlSeconds: number }): Promise<{ locator: string; expiresAt: Date } | null> {
    await this.db.none(sql.deviceLinks.prune);
    for (let i = 0; i < 8; i++) {
      let locator = '';
      for (let c = 0; c < LINK_PART_CHARS; c++) locator += LINK_ALPHABET[randomInt(LINK_ALPHABET.length)];
      const row = await this.db.oneOrNone<{ expiresAt: Date }>(sql.deviceLinks.create, { locator, ...p });
      if (row) return { locator, expiresAt: row.expiresAt };
    }
    return null;
  }

  find(locator: string): Promise<{ locator: string; publicKey: string; expiresAt: Date; expired: boolean; used: boolean } | null> {
    return this.db.oneOrNone(sql.deviceLinks.find, { locator });
  }

  /** Counts the try; stored only if it is the slot's first. null: no live slot. */
  postHandover(locator: string, userPk: number, handover: SealedHandoverRow): Promise<{ attempts: number; stored: boolean } | null> {
    return this.db.oneOrNone(sql.deviceLinks.postHandover, { locator, userPk, handover: JSON.stringify(handover) });
  }

  state(locator: string, tokenHash: Buffer): Promise<{ expiresAt: Date; expired: boolean; ready: boolean } | null> {
    return this.db.oneOrNone(sql.deviceLinks.state, { locator, tokenHash });
  }

  /** The handover, once: the slot is deleted with it. */
  async take(locator: string, tokenHash: Buffer): Promise<SealedHandoverRow | null> {
    const row = await this.db.oneOrNone<{ handover: SealedHandoverRow }>(sql.deviceLinks.take, { locator, tokenHash });
    return row?.handover ?? null;
  }
}
