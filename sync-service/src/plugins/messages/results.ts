import type { AppendResult } from '../../services/append-queue.ts';
import { ApiError } from '../errors/index.ts';

/** The error of an append that was not stored, or null for stored and duplicate. */
export function appendError(result: AppendResult): ApiError | null {
  switch (result.status) {
    case 'stored':
    case 'duplicate':
      return null;
    case 'client_id_conflict':
      return new ApiError(409, 'client_id_conflict', 'another message with this clientMessageId is stored');
    case 'unknown_epoch':
      return new ApiError(409, 'unknown_epoch', 'the envelope names an epoch the conversation does not have yet');
    case 'not_found':
      return new ApiError(404, 'not_found', 'no such conversation');
  }
}
