import type { Plugin } from '@hapi/hapi';
import { generateOpenApi } from './generate.ts';

/** GET /api/v1/openapi.json: generated once, on first request, from the routes' joi schemas. */
export const openapiPlugin: Plugin<void> = {
  name: 'openapi',
  register(server) {
    let document: Record<string, unknown> | null = null;
    server.route({
      method: 'GET',
      path: '/api/v1/openapi.json',
      options: { auth: false, tags: ['api', 'openapi'], description: 'This OpenAPI document', plugins: { openapi: { responses: { 200: 'OpenAPI 3.0 document' } } } },
      handler() {
        document ??= generateOpenApi(server);
        return document;
      },
    });
  },
};
