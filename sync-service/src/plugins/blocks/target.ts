import type { Request } from '@hapi/hapi';
import { ApiError } from '../errors/index.ts';
import { caller, type Caller } from '../auth/scheme.ts';
import { knownUser } from '../known-user.ts';

/** The caller and the registered user named by `{userId}` (404 unknown_user; 400 cannot_block_self). */
export async function blockTarget(request: Request): Promise<{ me: Caller; targetPk: number; userId: string }> {
  const me = caller(request);
  const { userId } = request.params as { userId: string };
  if (userId === me.userId) throw new ApiError(400, 'cannot_block_self', 'you cannot block yourself');
  const user = await knownUser(request.server.app.database.db, userId);
  return { me, targetPk: user.id, userId: user.userId };
}
