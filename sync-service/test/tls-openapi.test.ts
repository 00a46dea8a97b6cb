import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { call, startApp, type TestApp } from '../../test/support/service.ts';
import { UNDOCUMENTED_PATHS } from '../src/plugins/openapi/generate.ts';

describe('TLS', () => {
  let dir: string;
  let app: TestApp;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mh-tls-'));
    const certFile = path.join(dir, 'cert.pem');
    const keyFile = path.join(dir, 'key.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-keyout', keyFile, '-out', certFile,
    ], { stdio: 'ignore' });
    app = await startApp({ listen: true, config: { tls: { certFile, keyFile } } });
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves /healthz over https with HSTS', async () => {
    expect(app.server.info.protocol).toBe('https');
    const res = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      https.get({ host: '127.0.0.1', port: app.server.info.port, path: '/healthz', rejectUnauthorized: false }, (r) => {
        let body = '';
        r.on('data', (d) => (body += d));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body }));
      }).on('error', reject);
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'ok' });
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });
});

describe('GET /api/v1/openapi.json', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => app?.close());

  it('documents every route of server.table() and nothing else', async () => {
    const res = await call(app.server, 'GET', '/api/v1/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.json;
    expect(doc.openapi).toBe('3.0.3');
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)).sort();
    const table = app.server.table().filter((r) => !UNDOCUMENTED_PATHS.has(r.path)).map((r) => `${r.method.toUpperCase()} ${r.path}`).sort();
    expect(documented).toEqual(table);
    expect(table.length).toBeGreaterThanOrEqual(17);
  });

  it('carries the joi schemas: bodies, parameters, security and error codes', async () => {
    const doc = (await call(app.server, 'GET', '/api/v1/openapi.json')).json;
    const register = doc.paths['/api/v1/users'].post;
    expect(register.security).toBeUndefined();
    expect(register.requestBody.content['application/json'].schema.required).toEqual(['userName', 'identity', 'proof']);
    expect(register.responses['409'].description).toContain('user_name_taken');
    const append = doc.paths['/api/v1/conversations/{id}/messages'].post;
    expect(append.security).toEqual([{ bearer: [] }]);
    expect(append.parameters).toContainEqual(expect.objectContaining({ name: 'id', in: 'path', required: true }));
    const envelope = append.requestBody.content['application/json'].schema.properties.envelope;
    expect(envelope.properties.clientMessageId.pattern).toContain('[0-9a-f]{8}');
    expect(envelope.properties.prevHash.nullable).toBe(true);
    const log = doc.paths['/api/v1/conversations/{id}/log'].get;
    expect(log.parameters).toContainEqual(expect.objectContaining({ name: 'limit', in: 'query', schema: expect.objectContaining({ maximum: 1000, default: 500 }) }));
    expect(doc.components.schemas.Error.properties.error.required).toEqual(['code', 'message']);
  });
});
