import Boom from '@hapi/boom';
import type { Lifecycle, Plugin, Request, ResponseToolkit } from '@hapi/hapi';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from '../../db/unavailable.ts';
import { OverloadedError, RateLimitedError, ServiceError, type ServiceErrorKind } from '../../services/errors.ts';

/**
 * An HTTP error with a stable, documented code, thrown by route handlers. Services throw
 * the domain errors of services/errors.ts instead, which know no status; the onPreResponse
 * extension below gives them theirs (HTTP_STATUS) and turns every error into one JSON
 * shape: `{ error: { code, message } }`.
 */
export class ApiError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    public readonly details?: Record<string, unknown>,
    public readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The HTTP status of each kind of domain error. */
export const HTTP_STATUS: Record<ServiceErrorKind, number> = {
  invalid: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
  overloaded: 503,
};

/** A domain error as the ApiError it is on the wire. */
export function toApiError(error: ServiceError): ApiError {
  const headers = error instanceof RateLimitedError
    ? { 'retry-after': String(error.retryAfterSeconds) }
    : error instanceof OverloadedError ? { 'retry-after': String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))) } : undefined;
  return new ApiError(HTTP_STATUS[error.kind], error.code, error.message, undefined, headers);
}

/** Codes for failures Hapi itself raises before a handler runs. */
function codeForStatus(status: number): string {
  switch (status) {
    case 400: return 'bad_request';
    case 401: return 'unauthorized';
    case 403: return 'forbidden';
    case 404: return 'not_found';
    case 405: return 'method_not_allowed';
    case 408: return 'request_timeout';
    case 409: return 'conflict';
    case 413: return 'payload_too_large';
    case 415: return 'unsupported_media_type';
    case 422: return 'unprocessable';
    case 429: return 'rate_limited';
    default: return status >= 500 ? 'internal' : 'bad_request';
  }
}

/**
 * Joi failures of params, query or payload: name the field, never echo the value
 * (a value may be a token or a key).
 */
export const validationFailAction: Lifecycle.FailAction = async (_request, _h, error) => {
  const boom = error as Boom.Boom & { details?: { path: (string | number)[]; type: string }[] };
  const source = (boom.output?.payload as { validation?: { source?: string } } | undefined)?.validation?.source ?? 'request';
  const detail = boom.details?.[0];
  // Field names only: a client-chosen key (a cursor's conversation id) is not echoed.
  const field = detail?.path.length
    ? detail.path.map((p) => (typeof p === 'number' ? String(p) : /^[A-Za-z][A-Za-z0-9_]{0,31}$/.test(p) ? p : '*')).join('.')
    : source;
  throw new ApiError(400, 'invalid_request', `invalid ${source}: "${field}" ${detail ? describeType(detail.type) : 'is not valid'}`);
};

function describeType(type: string): string {
  if (type === 'any.required') return 'is required';
  if (type === 'object.unknown') return 'is not allowed';
  if (type.endsWith('.max') || type.endsWith('.length') || type.endsWith('.min')) return 'has the wrong size';
  if (type === 'string.pattern.base') return 'has the wrong format';
  return `is not valid (${type})`;
}

/** Payload that could not be read: unparsable JSON, a wrong content type, too many bytes. */
export const payloadFailAction: Lifecycle.FailAction = async (_request, _h, error) => {
  const status = Boom.isBoom(error) ? error.output.statusCode : 400;
  if (status === 413) throw new ApiError(413, 'payload_too_large', 'the request body is larger than the service accepts');
  if (status === 415) throw new ApiError(415, 'unsupported_media_type', 'the request body must be application/json');
  throw new ApiError(400, 'invalid_json', 'the request body is not valid JSON');
};

export const errorsPlugin: Plugin<void> = {
  name: 'errors',
  register(server) {
    server.ext('onPreResponse', (request: Request, h: ResponseToolkit) => {
      const response = request.response instanceof ServiceError ? toApiError(request.response) : request.response;
      if (response instanceof ApiError) {
        const r = h
          .response({ error: { code: response.code, message: response.message, ...(response.details ? { details: response.details } : {}) } })
          .code(response.status);
        for (const [k, v] of Object.entries(response.headers ?? {})) r.header(k, v);
        return r;
      }
      if (!Boom.isBoom(response)) return h.continue;
      const status = response.output.statusCode;
      // Postgres went away (failover, restart): retryable, with the same client ids.
      if (status === 500 && isDatabaseUnavailable(response)) {
        request.log(['warn', 'database'], { message: response.message });
        return h
          .response({ error: { code: 'database_unavailable', message: 'the database is not reachable right now; send again (with the same client ids) after Retry-After seconds' } })
          .code(503)
          .header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
      }
      if (status >= 500) {
        request.log(['error'], { message: response.message, stack: response.stack });
        return h.response({ error: { code: 'internal', message: 'internal error' } }).code(500);
      }
      const isValidation = status === 400 && (response.output.payload as { validation?: unknown }).validation !== undefined;
      const code = (response.data as { code?: string } | null)?.code ?? (isValidation ? 'invalid_request' : codeForStatus(status));
      const r = h
        .response({ error: { code, message: response.message } })
        .code(status)
        .header('content-type', 'application/json; charset=utf-8');
      // Boom names these 'WWW-Authenticate' and 'Allow': look them up without regard to case.
      const headers = new Map(Object.entries(response.output.headers).map(([k, v]) => [k.toLowerCase(), v]));
      for (const name of ['www-authenticate', 'allow', 'retry-after']) {
        const value = headers.get(name);
        if (value !== undefined) r.header(name, String(value));
      }
      return r;
    });
  },
};
