import type { IBaseProtocol } from 'pg-promise';
import { sql } from './sql/index.ts';

export interface AuthenticatedSession {
  sessionId: string;
  userPk: number;
  userId: string;
  stale: boolean;
  /** When the session expires (bounds how long a cached copy may be used). */
  expiresAt?: Date;
}

export interface SessionRow {
  id: string;
  deviceName: string;
  /** The device this session was opened from (DEV12), null when the login named none. */
  deviceId: string | null;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
}

export class SessionsRepository {
  constructor(private readonly db: IBaseProtocol<unknown>) {}

  /** `deviceId`: the device the login proved it came from (DEV12), or null. */
  create(s: { id: string; userPk: number; tokenHash: Buffer; deviceName: string; ttlSeconds: number; deviceId?: string | null }) {
    return this.db.one<{ id: string; expiresAt: Date }>(sql.sessions.insert, { ...s, deviceId: s.deviceId ?? null });
  }

  /** The live session of a token hash: not expired, not revoked. */
  authenticate(tokenHash: Buffer): Promise<AuthenticatedSession | null> {
    return this.db.oneOrNone<AuthenticatedSession>(sql.sessions.authenticate, { tokenHash });
  }

  /** last_seen_at is refreshed at most once a minute, not on every request. */
  async touch(id: string): Promise<void> {
    await this.db.none(sql.sessions.touch, { id });
  }

  async isLive(id: string): Promise<boolean> {
    return (await this.db.oneOrNone(sql.sessions.isLive, { id })) !== null;
  }

  /** The ids among `ids` of sessions that are neither revoked nor expired. */
  async liveOf(ids: string[]): Promise<Set<string>> {
    const rows = await this.db.any<{ id: string }>(sql.sessions.liveOf, { ids });
    return new Set(rows.map((r) => r.id));
  }

  list(userPk: number): Promise<SessionRow[]> {
    return this.db.any<SessionRow>(sql.sessions.list, { userPk });
  }

  /** Revoke every session of the user (a completed key reset); the ids revoked. */
  async revokeAll(userPk: number): Promise<string[]> {
    return (await this.db.any<{ id: string }>(sql.sessions.revokeAll, { userPk })).map((r) => r.id);
  }

  /** True when a live session of this user was revoked; someone else's session is simply not found. */
  async revoke(id: string, userPk: number): Promise<boolean> {
    return (await this.db.oneOrNone(sql.sessions.revoke, { id, userPk })) !== null;
  }
}
