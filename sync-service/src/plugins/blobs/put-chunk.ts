import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { SEALED_CHUNK_BYTES } from '../../../../protocol/src/rules.ts';
import { ApiError } from '../errors/index.ts';
import { blobId, conversationId, chunkIndex, ownBlob } from './access.ts';

/**
 * PUT /api/v1/conversations/{id}/blobs/{blobId}/chunks/{index}: one sealed chunk (application/octet-stream,
 * exactly iv || ciphertext || tag). Stored once; sending it again is harmless (200). An
 * index past the declared count or a body of another size is refused and stores nothing (A3).
 */
export const putChunkRoute: ServerRoute = {
  method: 'PUT',
  path: '/api/v1/conversations/{id}/blobs/{blobId}/chunks/{index}',
  options: {
    tags: ['api', 'blobs'],
    description: 'Upload one sealed chunk',
    payload: { maxBytes: SEALED_CHUNK_BYTES, parse: true, output: 'data', allow: 'application/octet-stream' },
    validate: {
      params: Joi.object({ id: conversationId.required(), blobId: blobId.required(), index: chunkIndex.required() }),
      payload: Joi.binary().description(`exactly ${SEALED_CHUNK_BYTES} bytes`),
    },
    plugins: {
      openapi: {
        responses: {
          201: Joi.object({ index: Joi.number().integer(), duplicate: Joi.boolean().valid(false) }),
          200: Joi.object({ index: Joi.number().integer(), duplicate: Joi.boolean().valid(true) }),
          400: 'chunk_out_of_range | chunk_size', 404: 'not_found', 413: 'payload_too_large', 415: 'unsupported_media_type',
        },
      },
    },
  },
  async handler(request, h) {
    const { blob } = await ownBlob(request);
    const index = (request.params as unknown as { index: number }).index;
    if (index >= blob.chunks) throw new ApiError(400, 'chunk_out_of_range', `this blob has ${blob.chunks} chunks`);
    const body = request.payload as Buffer | null;
    if (!Buffer.isBuffer(body) || body.length !== SEALED_CHUNK_BYTES) throw new ApiError(400, 'chunk_size', `a sealed chunk is exactly ${SEALED_CHUNK_BYTES} bytes`);
    const stored = await request.server.app.database.db.blobs.put(blob, index, body);
    return h.response({ index, duplicate: !stored }).code(stored ? 201 : 200);
  },
};
