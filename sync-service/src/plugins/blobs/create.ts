import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { ATTACHMENT_LIMITS, SEALED_CHUNK_BYTES } from '../../../../protocol/src/rules.ts';
import { caller } from '../auth/scheme.ts';
import { ApiError } from '../errors/index.ts';
import { blobId, blobStatus, statusSchema } from './access.ts';
import * as S from '../../schemas.ts';

/**
 * POST /api/v1/conversations/{id}/blobs: start an upload of `chunks` sealed chunks into a conversation the
 * caller is a member of. The padded size is reserved against the caller's quota at once,
 * so no chunk past the declared size or the quota is ever stored (THREATS A3). Creating
 * the same blob again answers 200 with the chunks already stored (resume).
 */
export const createBlobRoute: ServerRoute = {
  method: 'POST',
  path: '/api/v1/conversations/{id}/blobs',
  options: {
    tags: ['api', 'blobs'],
    description: 'Start (or resume) an attachment upload',
    validate: {
      params: Joi.object({ id: S.conversationId.required() }),
      payload: Joi.object({
        blobId: blobId.required(),
        chunks: Joi.number().integer().min(1).required().description(`padded chunk count, at most ${ATTACHMENT_LIMITS.maxChunks}`),
      }),
    },
    plugins: {
      openapi: {
        responses: {
          201: statusSchema, 200: 'the same upload again: what is stored of it',
          404: 'not_found (no such conversation, or not a member)', 409: 'blob_exists (the id is taken by another upload)',
          413: 'blob_too_large | blob_quota_exceeded',
        },
      },
    },
  },
  async handler(request, h) {
    const me = caller(request);
    const { db } = request.server.app.database;
    const { config } = request.server.app;
    const p = { ...(request.payload as { blobId: string; chunks: number }), conversationId: (request.params as { id: string }).id };
    if (p.chunks > ATTACHMENT_LIMITS.maxChunks) {
      throw new ApiError(413, 'blob_too_large', `a blob has at most ${ATTACHMENT_LIMITS.maxChunks} chunks`);
    }
    if ((await db.conversations.memberLastSeq(p.conversationId, me.userPk)) === null) throw new ApiError(404, 'not_found', 'no such conversation');
    const reservedBytes = p.chunks * SEALED_CHUNK_BYTES;
    const { outcome } = await db.blobs.create({ ...p, ownerPk: me.userPk, reservedBytes, quotaBytes: config.blobQuotaBytes });
    if (outcome === 'conflict') throw new ApiError(409, 'blob_exists', 'another upload has this blob id');
    if (outcome === 'quota') throw new ApiError(413, 'blob_quota_exceeded', 'this upload would pass your storage quota');
    const blob = (await db.blobs.find(p, me.userPk))!;
    const stored = outcome === 'created' ? [] : await db.blobs.storedIndexes(blob);
    return h.response(blobStatus(blob, stored)).code(outcome === 'created' ? 201 : 200);
  },
};
