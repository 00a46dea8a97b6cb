import type { Database } from '../db/index.ts';
import type { UserRow } from '../db/users.ts';
import { ApiError } from './errors/index.ts';

/** The registered user named `userId`, or 404 unknown_user (the directory, devices, login, blocks). */
export async function knownUser(db: Database, userId: string): Promise<UserRow> {
  const user = await db.users.find(userId);
  if (!user) throw new ApiError(404, 'unknown_user', 'no user has this name');
  return user;
}
