import Hapi from '@hapi/hapi';
import Inert from '@hapi/inert';
import HapiPino from 'hapi-pino';
import { readFileSync } from 'node:fs';
import type { DestinationStream } from 'pino';
import type { Config } from './config.ts';
import type { DatabaseHandle } from './db/index.ts';
import { AppendQueue, type AppendQueueOptions } from './services/append-queue.ts';
import { SessionCache } from './services/session-cache.ts';
import { LocalLimiter } from './services/rate-limit.ts';
import { accountPlugin } from './plugins/account/index.ts';
import { accountsPlugin } from './plugins/accounts/index.ts';
import { authPlugin } from './plugins/auth/index.ts';
import { blobsPlugin } from './plugins/blobs/index.ts';
import { blocksPlugin } from './plugins/blocks/index.ts';
import { conversationsPlugin } from './plugins/conversations/index.ts';
import { deviceLinksPlugin } from './plugins/device-links/index.ts';
import { devicesPlugin } from './plugins/devices/index.ts';
import { directoryPlugin } from './plugins/directory/index.ts';
import { epochArchivePlugin } from './plugins/epoch-archive/index.ts';
import { errorsPlugin, payloadFailAction, validationFailAction } from './plugins/errors/index.ts';
import { healthPlugin } from './plugins/health/index.ts';
import { messagesPlugin } from './plugins/messages/index.ts';
import { openapiPlugin } from './plugins/openapi/index.ts';
import { pushPlugin } from './plugins/push/index.ts';
import type { PushSenderOptions } from './services/push-sender.ts';
import { realtimePlugin } from './plugins/realtime/index.ts';
import { sessionsPlugin } from './plugins/sessions/index.ts';
import { staticPlugin } from './plugins/static/index.ts';
import { syncPlugin } from './plugins/sync/index.ts';

export interface ServerDependencies {
  database: DatabaseHandle;
  /** Where logs go (default stdout); tests pass a stream to read them. */
  logStream?: DestinationStream;
  /** Realtime keepalive, for tests. */
  realtime?: { pingIntervalMs?: number; authTimeoutMs?: number };
  /** Group-commit tuning (the benchmark) and retries after a lost connection (tests). */
  appendQueue?: Partial<AppendQueueOptions>;
  /** Web Push tuning; tests pass an agent that trusts their fake push service. */
  push?: Partial<PushSenderOptions>;
}

declare module '@hapi/hapi' {
  interface ServerApplicationState {
    config: Config;
    database: DatabaseHandle;
    appendQueue: AppendQueue;
    appendLimiter: LocalLimiter;
    sessionCache: SessionCache;
  }
}

/**
 * Never logged: tokens (Authorization, the WebSocket auth message), cookies, and
 * request or response bodies (ciphertext, keys, proofs): hapi-pino logs no payloads.
 */
export const LOG_REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["sec-websocket-key"]',
  'req.headers["sec-websocket-protocol"]',
  'res.headers["set-cookie"]',
];

const LEVELS_WITH_INFO = new Set<Config['logLevel']>(['info', 'debug', 'trace']);

/**
 * Build the whole service without listening: tests call `server.initialize()`
 * and `server.inject()`; start.ts calls `server.start()`.
 */
export async function createServer(config: Config, deps: ServerDependencies): Promise<Hapi.Server> {
  const server = Hapi.server({
    host: config.host,
    port: config.port,
    tls: config.tls
      ? { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) }
      : undefined,
    routes: {
      payload: {
        maxBytes: config.maxRequestBytes,
        allow: ['application/json'],
        // A POST without a body (logout) needs no content type.
        defaultContentType: 'application/json',
        failAction: payloadFailAction,
      },
      // The JSON error shape is produced by the errors plugin.
      validate: { failAction: validationFailAction },
    },
    router: { stripTrailingSlash: true },
    // What this service sends as application/octet-stream is ciphertext (attachment chunks):
    // gzip cannot shrink it and cost both sides CPU on every chunk (mime-db marks the type
    // compressible; BENCHMARKS.md, attachments, session 8).
    mime: { override: { 'application/octet-stream': { compressible: false } } },
  });
  server.app.config = config;
  server.app.database = deps.database;
  server.app.appendQueue = new AppendQueue(deps.database.db, deps.appendQueue);
  server.app.appendLimiter = new LocalLimiter(config.appendRateLimitPerMinute);
  server.app.sessionCache = new SessionCache(config.sessionCacheMs);

  await server.register({
    plugin: HapiPino,
    options: {
      level: config.logLevel,
      stream: deps.logStream as NodeJS.WriteStream | undefined,
      redact: { paths: LOG_REDACT, censor: '[redacted]' },
      logPayload: false,
      logQueryParams: false,
      // Access logs are off unless asked for (ACCESS_LOG); who asked (address, user agent) only
      // with 'full'. The request-complete line is an `info` line: below that level, do not build it.
      logRequestComplete: config.accessLog !== 'off' && LEVELS_WITH_INFO.has(config.logLevel),
      ...(config.accessLog === 'full' ? {} : { serializers: { req: (req: { id?: unknown; method?: string; url?: string }) => ({ id: req.id, method: req.method, url: req.url?.split('?')[0] }) } }),
      ignorePaths: ['/healthz'],
      // Silent: no per-request child logger (pino serialises and redacts its bindings on creation).
      ...(config.logLevel === 'silent' ? { ignoreFunc: () => true } : {}),
    } satisfies HapiPino.Options as HapiPino.Options,
  });
  await server.register(Inert);
  await server.register([
    { plugin: errorsPlugin },
    { plugin: authPlugin },
    { plugin: healthPlugin },
    { plugin: accountsPlugin },
    { plugin: accountPlugin },
    { plugin: directoryPlugin },
    { plugin: sessionsPlugin },
    { plugin: devicesPlugin },
    { plugin: deviceLinksPlugin },
    { plugin: epochArchivePlugin },
    { plugin: blocksPlugin },
    { plugin: conversationsPlugin },
    { plugin: messagesPlugin },
    { plugin: syncPlugin },
    { plugin: blobsPlugin },
  ]);
  await server.register({ plugin: realtimePlugin, options: { databaseUrl: deps.database.url, ...deps.realtime } });
  await server.register({ plugin: pushPlugin, options: deps.push ?? {} });
  await server.register([{ plugin: openapiPlugin }]);
  await server.register({ plugin: staticPlugin, options: { dir: config.staticDir } });
  server.ext('onPostStop', async () => {
    await server.app.appendQueue.close();
  });
  return server;
}
