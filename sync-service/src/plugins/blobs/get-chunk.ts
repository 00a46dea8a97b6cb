import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { ApiError } from '../errors/index.ts';
import { blobId, conversationId, chunkIndex, readableBlob } from './access.ts';

/** GET /api/v1/conversations/{id}/blobs/{blobId}/chunks/{index}: one sealed chunk, for members of the blob's conversation. */
export const getChunkRoute: ServerRoute = {
  method: 'GET',
  path: '/api/v1/conversations/{id}/blobs/{blobId}/chunks/{index}',
  options: {
    tags: ['api', 'blobs'],
    description: 'Download one sealed chunk',
    validate: { params: Joi.object({ id: conversationId.required(), blobId: blobId.required(), index: chunkIndex.required() }) },
    plugins: { openapi: { responses: { 200: 'application/octet-stream: the sealed chunk', 404: 'not_found (no such blob or chunk, or not a member)' } } },
  },
  async handler(request, h) {
    const { blob } = await readableBlob(request);
    const index = (request.params as unknown as { index: number }).index;
    const bytes = index < blob.chunks ? await request.server.app.database.db.blobs.get(blob, index) : null;
    if (!bytes) throw new ApiError(404, 'not_found', 'no such chunk');
    return h.response(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).type('application/octet-stream').header('cache-control', 'private, no-store');
  },
};
