import type { ServerRoute } from '@hapi/hapi';
import Joi from 'joi';
import { blobId, conversationId, blobStatus, readableBlob, statusSchema } from './access.ts';

/** GET /api/v1/conversations/{id}/blobs/{blobId}: the blob's chunk count and the chunks stored (uploader and members). */
export const blobStatusRoute: ServerRoute = {
  method: 'GET',
  path: '/api/v1/conversations/{id}/blobs/{blobId}',
  options: {
    tags: ['api', 'blobs'],
    description: 'What is stored of an attachment blob',
    validate: { params: Joi.object({ id: conversationId.required(), blobId: blobId.required() }) },
    plugins: { openapi: { responses: { 200: statusSchema, 404: 'not_found' } } },
  },
  async handler(request) {
    const { blob } = await readableBlob(request);
    return blobStatus(blob, await request.server.app.database.db.blobs.storedIndexes(blob));
  },
};
