import type { IBaseProtocol } from 'pg-promise';
import type { EpochArchiveEntry } from '../../../protocol/src/epoch-archive.ts';
import { sql } from './sql/index.ts';

/** epoch_archive (HIST1..HIST5): each user's re-wrapped epoch keys, signed by the user's key. */
export class EpochArchiveRepository {
  constructor(private readonly db: IBaseProtocol<unknown>) {}

  /** Stores entries (a repeat replaces, so retrying a whole upload is harmless). */
  async upsert(userPk: number, entries: readonly EpochArchiveEntry[]): Promise<void> {
    for (const e of entries) {
      await this.db.none(sql.epochArchive.upsert, {
        userPk, conversationId: e.conversationId, epoch: e.epoch, epochHash: e.epochHash, recipientKey: e.recipientKey, entry: JSON.stringify(e),
      });
    }
  }

  async list(userPk: number, recipientKey: string): Promise<EpochArchiveEntry[]> {
    return (await this.db.any<{ entry: EpochArchiveEntry }>(sql.epochArchive.list, { userPk, recipientKey })).map((r) => r.entry);
  }

  /** Whether `sessionId` is a certified, unrevoked device of the user under the key `fingerprint`. */
  async certifiedSession(userPk: number, sessionId: string, fingerprint: string): Promise<boolean> {
    return (await this.db.oneOrNone(sql.epochArchive.certifiedSession, { userPk, sessionId, fingerprint })) !== null;
  }
}
