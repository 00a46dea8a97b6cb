// Domain errors of the services, with stable codes (documented in API.md). Services know
// nothing of HTTP: the errors plugin (plugins/errors) maps each kind to a status in its
// onPreResponse extension, and every error leaves as `{ error: { code, message } }`.

/** What went wrong, in the terms of the domain; the errors plugin gives each an HTTP status. */
export type ServiceErrorKind = 'invalid' | 'forbidden' | 'not_found' | 'conflict' | 'too_large' | 'rate_limited' | 'overloaded';

export abstract class ServiceError extends Error {
  abstract readonly kind: ServiceErrorKind;

  constructor(readonly code: string, message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request's content breaks a rule (400). */
export class InvalidError extends ServiceError {
  readonly kind = 'invalid';
  constructor(code: 'invalid_envelope' | 'invalid_epoch_record' | 'conversation_mismatch' | 'creator_not_member' | 'unknown_member', message: string) {
    super(code, message);
  }
}

/** The caller may not do this with this content (403). */
export class ForbiddenError extends ServiceError {
  readonly kind = 'forbidden';
  constructor(code: 'creator_mismatch' | 'conversation_refused' | 'sender_mismatch' | 'device_revoked', message: string) {
    super(code, message);
  }
}

/** No such thing, or not one the caller may see (404: the same answer for both). */
export class NotFoundError extends ServiceError {
  readonly kind = 'not_found';
  constructor(message = 'no such conversation') {
    super('not_found', message);
  }
}

/** The state has moved on: another record holds the id or the epoch (409). */
export class ConflictError extends ServiceError {
  readonly kind = 'conflict';
  constructor(code: 'conversation_exists' | 'epoch_conflict', message: string) {
    super(code, message);
  }
}

/** A body above its size limit (413). */
export class TooLargeError extends ServiceError {
  readonly kind = 'too_large';
  constructor(code: 'envelope_too_large', message: string) {
    super(code, message);
  }
}

/** Over a rate limit; try again after `retryAfterSeconds` (429). */
export class RateLimitedError extends ServiceError {
  readonly kind = 'rate_limited';
  readonly retryAfterSeconds: number;
  /** `conversation_rate_limited`: too many conversations opened (THREATS L3). */
  constructor(retryAfterSeconds: number, code: 'rate_limited' | 'conversation_rate_limited' = 'rate_limited', message = 'too many requests; try again later') {
    super(code, message);
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

/**
 * The instance cannot store this in time (its append queue is full): refused at once
 * instead of queued, so memory stays flat and latency bounded (503 with Retry-After;
 * the WebSocket `retryLater` frame). Nothing was stored: send again, same client ids.
 */
export class OverloadedError extends ServiceError {
  readonly kind = 'overloaded';
  constructor(readonly retryAfterMs: number) {
    super('overloaded', 'the service is storing as fast as it can; send again (with the same client ids) after Retry-After seconds');
  }
}
