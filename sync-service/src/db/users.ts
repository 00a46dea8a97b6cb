import type { IBaseProtocol } from 'pg-promise';
import type { PublicIdentity } from '../../../protocol/src/identity.ts';
import { sql } from './sql/index.ts';

export interface UserRow {
  id: number;
  userId: string;
  displayName: string;
  keyVersion: number;
  identity: PublicIdentity;
  proof: string;
}

export class UsersRepository {
  constructor(private readonly db: IBaseProtocol<unknown>) {}

  /** Null when the (case-folded) name is taken. */
  create(u: { userId: string; displayName: string; identity: PublicIdentity; proof: string }) {
    return this.db.oneOrNone<{ userId: string; displayName: string; keyVersion: number }>(sql.users.insert, {
      ...u,
      identity: JSON.stringify(u.identity),
    });
  }

  /** The user and its current (latest) key entry. */
  find(userId: string): Promise<UserRow | null> {
    return this.db.oneOrNone<UserRow>(sql.users.find, { userId });
  }

  findByPk(id: number): Promise<UserRow | null> {
    return this.db.oneOrNone<UserRow>(sql.users.findByPk, { id });
  }

  findMany(userIds: string[]): Promise<{ id: number; userId: string }[]> {
    return this.db.any(sql.users.findMany, { userIds });
  }
}
