import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { ApiError } from '../errors/index.ts';
import { blobId, conversationId, blobStatus, ownBlob, statusSchema } from './access.ts';
import * as S from '../../schemas.ts';

/**
 * POST /api/v1/conversations/{id}/blobs/{blobId}/finish: the upload is whole. `messageId` names the client
 * message id of the message that carries the file; a blob whose message never reaches the
 * conversation's log is collected after the grace period. Finishing again is harmless.
 */
export const finishBlobRoute: ServerRoute = {
  method: 'POST',
  path: '/api/v1/conversations/{id}/blobs/{blobId}/finish',
  options: {
    tags: ['api', 'blobs'],
    description: 'Finish an attachment upload',
    validate: {
      params: Joi.object({ id: conversationId.required(), blobId: blobId.required() }),
      payload: Joi.object({ messageId: S.uuid.required().description('clientMessageId of the message that carries the file') }),
    },
    plugins: { openapi: { responses: { 200: statusSchema, 404: 'not_found', 409: 'blob_incomplete (chunks are missing; `stored` lists the ones there)' } } },
  },
  async handler(request) {
    const { blob } = await ownBlob(request);
    const { db } = request.server.app.database;
    const done = await db.blobs.complete(blob, (request.payload as { messageId: string }).messageId);
    const stored = await db.blobs.storedIndexes(blob);
    if (!done) throw new ApiError(409, 'blob_incomplete', `${stored.length} of ${blob.chunks} chunks are stored`, { stored });
    return blobStatus({ ...blob, completedAt: done.completedAt, messageId: done.messageId }, stored);
  },
};
