import type { AppendResult } from '../../services/append-queue.ts';
import { appendFailure } from '../../services/appender.ts';
import { ApiError } from '../errors/index.ts';

/** The error of an append that was not stored, or null for stored and duplicate. */
export function appendError(result: AppendResult): ApiError | null {
  const failure = appendFailure(result);
  return failure ? new ApiError(failure.status, failure.code, failure.message) : null;
}
