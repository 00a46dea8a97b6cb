import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from '@hapi/hapi';
import { testConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/index.ts';
import { createServer } from '../src/server.ts';
import { startApp, type TestApp } from '../../test/support/service.ts';

describe('GET /healthz', () => {
  let app: TestApp;
  let server: Server;

  beforeAll(async () => {
    app = await startApp();
    server = app.server;
  });

  afterAll(async () => app?.close());

  it('answers 200 with the database up and the migrated schema version', async () => {
    const res = await server.inject('/healthz');
    expect(res.statusCode).toBe(200);
    expect(res.result).toMatchObject({ status: 'ok', database: 'up' });
    expect((res.result as { schemaVersion: number }).schemaVersion).toBeGreaterThanOrEqual(1);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('answers 503 when the database is unreachable', async () => {
    const unreachable = openDatabase('postgres://nobody:wrong@127.0.0.1:1/none');
    const other = await createServer(testConfig(), { database: unreachable });
    await other.initialize();
    const res = await other.inject('/healthz');
    expect(res.statusCode).toBe(503);
    expect(res.result).toMatchObject({ database: 'down' });
    await other.stop();
    await unreachable.close();
  });

  it('answers unknown API routes with the JSON error shape', async () => {
    const res = await server.inject('/api/v1/nothing-here');
    expect(res.statusCode).toBe(404);
    expect(JSON.parse(res.payload)).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
  });
});
