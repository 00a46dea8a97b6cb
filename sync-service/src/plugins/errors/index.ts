import Boom from '@hapi/boom';
import type { Plugin, Request, ResponseToolkit } from '@hapi/hapi';

/**
 * A domain error with a stable, documented code. Handlers and repositories throw
 * these; the onPreResponse extension below turns every error into one JSON shape:
 * `{ error: { code, message } }`.
 */
export class ApiError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    public readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
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

export const errorsPlugin: Plugin<void> = {
  name: 'errors',
  register(server) {
    server.ext('onPreResponse', (request: Request, h: ResponseToolkit) => {
      const response = request.response;
      if (response instanceof ApiError) {
        return h
          .response({ error: { code: response.code, message: response.message, ...(response.details ? { details: response.details } : {}) } })
          .code(response.status);
      }
      if (!Boom.isBoom(response)) return h.continue;
      const status = response.output.statusCode;
      // Joi validation failures: name the field, never echo the value.
      const validation = (response as unknown as { data?: { defaultError?: unknown } }).data;
      const isValidation = status === 400 && response.message && (response as any).output?.payload?.validation;
      const code = (response.data as { code?: string } | null)?.code ?? (isValidation ? 'invalid_request' : codeForStatus(status));
      if (status >= 500) {
        request.log(['error'], response);
        return h.response({ error: { code: 'internal', message: 'internal error' } }).code(500);
      }
      void validation;
      return h
        .response({ error: { code, message: response.message } })
        .code(status)
        .header('content-type', 'application/json; charset=utf-8');
    });
  },
};
