import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { verifyEpochArchiveEntry, type EpochArchiveEntry } from '../../../../protocol/src/epoch-archive.ts';
import { ApiError } from '../errors/index.ts';
import * as S from '../../schemas.ts';
import { archiveOwner } from './owner.ts';

/** The most entries one request carries; a client sends more in several. */
export const ARCHIVE_BATCH_MAX = 256;

/**
 * PUT /api/v1/users/{userId}/epoch-archive: store archive entries (HIST3), idempotently.
 * Owner only, and only from the session of a device certified under the account's CURRENT
 * key and not revoked (a token that signed in naming no device, or a revoked device's, is
 * refused: 403 device_required). Each entry must be signed by the current key for this
 * account (400 invalid_archive_entry): clients check that again, this only keeps junk out.
 */
export const storeArchiveRoute: ServerRoute = {
  method: 'PUT',
  path: '/api/v1/users/{userId}/epoch-archive',
  options: {
    tags: ['api', 'epoch-archive'],
    description: 'Store re-wrapped epoch keys of the caller\'s own account (signed by its current key)',
    validate: {
      params: Joi.object({ userId: S.userId.required() }),
      payload: Joi.object({ entries: Joi.array().items(S.epochArchiveEntry).min(1).max(ARCHIVE_BATCH_MAX).required() }),
    },
    plugins: {
      openapi: {
        responses: {
          200: Joi.object({ stored: Joi.number().integer().min(1) }),
          400: 'invalid_archive_entry',
          403: 'not_owner | device_required',
        },
      },
    },
  },
  async handler(request) {
    const { me, identity, fingerprint } = await archiveOwner(request);
    const db = request.server.app.database.db;
    if (!(await db.epochArchive.certifiedSession(me.userPk, me.sessionId, fingerprint))) {
      throw new ApiError(403, 'device_required', 'the archive is written from the session of a device certified by your current key');
    }
    const entries: EpochArchiveEntry[] = [];
    for (const raw of (request.payload as { entries: unknown[] }).entries) {
      const entry = await verifyEpochArchiveEntry(raw, identity);
      if (!entry) throw new ApiError(400, 'invalid_archive_entry', 'an entry is not signed by your current key for your account');
      entries.push(entry);
    }
    await db.tx('epoch-archive', (t) => t.epochArchive.upsert(me.userPk, entries));
    return { stored: entries.length };
  },
};
