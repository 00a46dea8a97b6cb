import type { Plugin } from '@hapi/hapi';

/** GET /healthz: 200 when Postgres answers, 503 with the reason when it does not. */
export const healthPlugin: Plugin<void> = {
  name: 'health',
  register(server) {
    server.route({
      method: 'GET',
      path: '/healthz',
      options: { auth: false, tags: ['health'], description: 'Liveness and database check', plugins: { openapi: { responses: { 200: 'up', 503: 'degraded: the database does not answer' } } } },
      async handler(request, h) {
        try {
          const { schemaVersion } = await request.server.app.database.db.health.check();
          return { status: 'ok', database: 'up', schemaVersion };
        } catch {
          return h.response({ status: 'degraded', database: 'down' }).code(503);
        }
      },
    });
  },
};
