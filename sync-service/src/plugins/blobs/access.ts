import Joi from 'joi';
import type { Request } from '@hapi/hapi';
import { ATTACHMENT_LIMITS, UUID_RE } from '../../../../protocol/src/rules.ts';
import type { BlobRow } from '../../db/blobs.ts';
import type { BlobKey } from '../../services/blob-store.ts';
import { ApiError } from '../errors/index.ts';
import { caller, type Caller } from '../auth/scheme.ts';
import * as S from '../../schemas.ts';

export const conversationId = S.conversationId;
export const blobId = Joi.string().pattern(UUID_RE, 'uuid').description('the blob id the client chose (a lowercase UUID)');
export const chunkIndex = Joi.number().integer().min(0).max(ATTACHMENT_LIMITS.maxChunks - 1);

/** The blob named by `{id}` and `{blobId}`. */
export function keyOf(request: Request): BlobKey {
  const p = request.params as { id: string; blobId: string };
  return { conversationId: p.id, blobId: p.blobId };
}

/** 404 for a missing blob and for one the caller may not see alike: existence is not revealed. */
const notFound = () => new ApiError(404, 'not_found', 'no such blob');

/**
 * The blob of `{blobId}` for its uploader only (uploading, resuming, finishing). Anyone
 * else gets 404 not_found, members of its conversation included.
 */
export async function ownBlob(request: Request): Promise<{ me: Caller; blob: BlobRow }> {
  const me = caller(request);
  const blob = await request.server.app.database.db.blobs.find(keyOf(request), me.userPk);
  if (!blob || blob.ownerPk !== me.userPk) throw notFound();
  return { me, blob };
}

/**
 * The blob of `{blobId}` for a current member of its conversation: the uploader always, any
 * other member once it is complete. Everyone else gets 404 not_found.
 */
export async function readableBlob(request: Request): Promise<{ me: Caller; blob: BlobRow }> {
  const me = caller(request);
  const blob = await request.server.app.database.db.blobs.find(keyOf(request), me.userPk);
  if (!blob || !blob.isMember) throw notFound();
  if (blob.ownerPk !== me.userPk && blob.completedAt === null) throw notFound();
  return { me, blob };
}

/** What GET and POST answer about a blob. */
export function blobStatus(blob: BlobRow, stored: number[]): Record<string, unknown> {
  return {
    blobId: blob.blobId,
    conversationId: blob.conversationId,
    chunks: blob.chunks,
    stored,
    complete: blob.completedAt !== null,
    createdAt: blob.createdAt,
  };
}

export const statusSchema = Joi.object({
  blobId,
  conversationId: Joi.string(),
  chunks: Joi.number().integer(),
  stored: Joi.array().items(Joi.number().integer()).description('indexes of the chunks stored, ascending'),
  complete: Joi.boolean(),
  createdAt: Joi.date().iso(),
}).label('BlobStatus');
