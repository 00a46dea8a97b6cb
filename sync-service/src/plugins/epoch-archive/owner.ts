import type { Request } from '@hapi/hapi';
import { fingerprint } from '../../../../protocol/src/identity.ts';
import type { PublicIdentity } from '../../../../protocol/src/types.ts';
import { caller, type Caller } from '../auth/scheme.ts';
import { ApiError } from '../errors/index.ts';

/**
 * The archive is the owner's alone: another user (whatever the path says) reads and writes
 * nothing, 403 not_owner. Returns the caller, with the account's current key.
 */
export async function archiveOwner(request: Request): Promise<{ me: Caller; identity: PublicIdentity; fingerprint: string }> {
  const me = caller(request);
  const { userId } = request.params as { userId: string };
  if (userId !== me.userId) throw new ApiError(403, 'not_owner', "only the account's owner reads or writes its epoch key archive");
  const user = await request.server.app.database.db.users.findByPk(me.userPk);
  if (!user) throw new ApiError(404, 'unknown_user', 'no such user');
  return { me, identity: user.identity, fingerprint: await fingerprint(user.identity) };
}
