import Hapi from '@hapi/hapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorsPlugin } from '../src/plugins/errors/index.ts';
import { ConflictError, ForbiddenError, InvalidError, NotFoundError, RateLimitedError, TooLargeError, type ServiceError } from '../src/services/errors.ts';

describe('domain errors (services/errors.ts) on the wire', () => {
  const server = Hapi.server();
  const thrown: Record<string, ServiceError> = {
    invalid: new InvalidError('unknown_member', 'every member must be a registered user'),
    forbidden: new ForbiddenError('creator_mismatch', 'the epoch record must be made by the caller'),
    missing: new NotFoundError(),
    conflict: new ConflictError('epoch_conflict', 'the next epoch is 3'),
    large: new TooLargeError('envelope_too_large', 'too big'),
    limited: new RateLimitedError(12.2),
  };
  beforeAll(async () => {
    await server.register(errorsPlugin);
    server.route({ method: 'GET', path: '/throw/{name}', handler: (request) => { throw thrown[String(request.params.name)]!; } });
    await server.initialize();
  });
  afterAll(() => server.stop());

  it('each kind gets its status and the error\'s stable code, in the one JSON shape', async () => {
    const want: Record<string, [number, string]> = {
      invalid: [400, 'unknown_member'], forbidden: [403, 'creator_mismatch'], missing: [404, 'not_found'],
      conflict: [409, 'epoch_conflict'], large: [413, 'envelope_too_large'], limited: [429, 'rate_limited'],
    };
    for (const [name, [status, code]] of Object.entries(want)) {
      const res = await server.inject(`/throw/${name}`);
      expect([res.statusCode, JSON.parse(res.payload)], name).toEqual([status, { error: { code, message: thrown[name]!.message } }]);
    }
  });

  it('a rate limit says when to try again (whole seconds, at least 1)', async () => {
    expect((await server.inject('/throw/limited')).headers['retry-after']).toBe('13');
    expect(new RateLimitedError(0).retryAfterSeconds).toBe(1);
  });
});
