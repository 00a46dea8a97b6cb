import Joi from 'joi';
import path from 'node:path';
import { LIMITS } from '../../protocol/src/rules.ts';
import { parseDatabaseUrl } from '../../db/multi-host.ts';

/** Everything the service reads from the environment, validated once at start. */
export interface Config {
  host: string;
  port: number;
  /** Unset: start the embedded Postgres (scripts/start.ts). */
  databaseUrl: string | undefined;
  /**
   * Standbys that may answer history reads (POST /sync, GET …/log) when they have replayed
   * what the caller has already seen; unset: every read goes to DATABASE_URL.
   */
  databaseReadUrl: string | undefined;
  dataDir: string;
  /** Origins allowed to log in and open the WebSocket; the first one is the canonical one. */
  origins: string[];
  tls: { certFile: string; keyFile: string } | undefined;
  /** Behind a TLS-terminating proxy: trust X-Forwarded-For / X-Forwarded-Proto. */
  trustProxy: boolean;
  /**
   * With trustProxy: how many proxies in front of the service append to X-Forwarded-For.
   * The client address is the hop the outermost trusted proxy appended (THREATS L5).
   */
  trustProxyHops: number;
  staticDir: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * One log line per request: 'off' (the default), 'on' (method, path, status, time), or
   * 'full' (also the client's address and the request headers, tokens redacted).
   */
  accessLog: 'off' | 'on' | 'full';
  sessionTtlSeconds: number;
  challengeTtlSeconds: number;
  maxEnvelopeBytes: number;
  maxRequestBytes: number;
  loginRateLimitPerMinute: number;
  /** How long a key reset without the old key waits, so the owner's devices can cancel it (THREATS L1). */
  resetWaitSeconds: number;
  /** Key resets a user may ask for in 24 hours. */
  resetRequestsPerDay: number;
  appendRateLimitPerMinute: number;
  /** Conversations a user may open (or add people to) per minute, counted in Postgres (THREATS L3). */
  conversationRateLimitPerMinute: number;
  /**
   * How long (ms) an instance may reuse a bearer token's session lookup (0: never). A
   * session revoked through another instance, or expired, keeps working here at most this long.
   */
  sessionCacheMs: number;
  /** Padded attachment bytes one user may hold at the service (THREATS A3). */
  blobQuotaBytes: number;
  /** How long an attachment blob may stay unfinished, or unnamed by any message, before it is collected. */
  blobGraceSeconds: number;
  /**
   * Web Push (RFC 8030/8292) application server keys, base64url (the public key as the
   * browser's `applicationServerKey`), and the contact the push services see (`sub`).
   * Unset: no push (the app still notifies while it runs). `npm start` makes and keeps a pair
   * when none is set (scripts/vapid-keys.ts).
   */
  vapid: VapidKeys | undefined;
  /**
   * Host names (and their subdomains) a push subscription's https endpoint may name: the
   * service POSTs to the endpoint, so anything else is refused (SECURITY.md NOTE4).
   */
  pushEndpointHosts: string[];
}

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  subject: string;
}

/** The browser vendors' push services (Chrome/Edge via FCM, Firefox, Edge on Windows, Safari). */
export const DEFAULT_PUSH_HOSTS = ['fcm.googleapis.com', 'push.services.mozilla.com', 'notify.windows.com', 'push.apple.com'];

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const schema = Joi.object({
  HOST: Joi.string().hostname().default('127.0.0.1'),
  PORT: Joi.number().integer().min(0).max(65535).default(8080),
  // One host, or several (a primary and its standbys) as libpq writes them:
  // postgresql://user@h1:5432,h2:5432/db?target_session_attrs=read-write (db/multi-host.ts).
  DATABASE_URL: Joi.string().custom((value: string) => {
    parseDatabaseUrl(value);
    return value;
  }, 'a postgres URL').messages({ 'any.custom': '"DATABASE_URL" must be a postgres:// URL with one or more host:port' }),
  // Standbys for history reads, e.g. postgresql://user@h2:5432,h3:5432/db?target_session_attrs=prefer-standby
  DATABASE_READ_URL: Joi.string().custom((value: string) => {
    parseDatabaseUrl(value);
    return value;
  }, 'a postgres URL').messages({ 'any.custom': '"DATABASE_READ_URL" must be a postgres:// URL with one or more host:port' }),
  DATA_DIR: Joi.string().default('.data/postgres'),
  ORIGINS: Joi.string(),
  TLS_CERT_FILE: Joi.string(),
  TLS_KEY_FILE: Joi.string(),
  TRUST_PROXY: Joi.boolean().truthy('1').falsy('0').default(false),
  TRUST_PROXY_HOPS: Joi.number().integer().min(1).max(10).default(1),
  STATIC_DIR: Joi.string().default('dist/pwa'),
  LOG_LEVEL: Joi.string().valid('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent').default('info'),
  ACCESS_LOG: Joi.string().valid('off', 'on', 'full').default('off'),
  SESSION_TTL_SECONDS: Joi.number().integer().min(60).max(400 * 24 * 3600).default(30 * 24 * 3600),
  CHALLENGE_TTL_SECONDS: Joi.number().integer().min(5).max(600).default(60),
  // protocol's LIMITS.maxEnvelopeBytes: the largest padding bucket (64 KiB) in base64url with its header.
  MAX_ENVELOPE_BYTES: Joi.number().integer().min(1024).max(1024 * 1024).default(LIMITS.maxEnvelopeBytes),
  MAX_REQUEST_BYTES: Joi.number().integer().min(4096).max(64 * 1024 * 1024).default(2 * 1024 * 1024),
  LOGIN_RATE_LIMIT_PER_MINUTE: Joi.number().integer().min(1).default(30),
  RESET_WAIT_SECONDS: Joi.number().integer().min(3600).max(90 * 24 * 3600).default(7 * 24 * 3600),
  RESET_RATE_LIMIT_PER_DAY: Joi.number().integer().min(1).max(100).default(3),
  APPEND_RATE_LIMIT_PER_MINUTE: Joi.number().integer().min(1).default(6000),
  CONVERSATION_RATE_LIMIT_PER_MINUTE: Joi.number().integer().min(1).default(20),
  SESSION_CACHE_MS: Joi.number().integer().min(0).max(5000).default(2000),
  BLOB_QUOTA_BYTES: Joi.number().integer().min(0).default(2 * 1024 ** 3),
  BLOB_GRACE_SECONDS: Joi.number().integer().min(60).default(7 * 24 * 3600),
  // P-256: the public key uncompressed (65 bytes: 87 base64url characters), the private key 32 bytes (43).
  VAPID_PUBLIC_KEY: Joi.string().pattern(/^B[A-Za-z0-9_-]{86}$/, 'a base64url P-256 public key (87 characters)'),
  VAPID_PRIVATE_KEY: Joi.string().pattern(/^[A-Za-z0-9_-]{43}$/, 'a base64url P-256 private key (43 characters)'),
  VAPID_SUBJECT: Joi.string().uri({ scheme: ['mailto', 'https'] }),
  PUSH_ENDPOINT_HOSTS: Joi.string().pattern(/^[a-z0-9.-]+(,[a-z0-9.-]+)*$/, 'comma-separated host names'),
})
  .and('TLS_CERT_FILE', 'TLS_KEY_FILE')
  .and('VAPID_PUBLIC_KEY', 'VAPID_PRIVATE_KEY')
  .unknown(true);

const originSchema = Joi.string().uri({ scheme: ['http', 'https'] });

/** Read and validate the configuration; a bad value throws a ConfigError naming the setting. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const { value, error } = schema.validate(env, { abortEarly: true, convert: true });
  if (error) throw new ConfigError(`invalid configuration: ${error.details[0]?.message ?? error.message}`);
  const tls = value.TLS_CERT_FILE ? { certFile: value.TLS_CERT_FILE, keyFile: value.TLS_KEY_FILE } : undefined;
  const scheme = tls ? 'https' : 'http';
  const origins: string[] = value.ORIGINS
    ? String(value.ORIGINS).split(',').map((o: string) => o.trim()).filter(Boolean)
    : [`${scheme}://localhost:${value.PORT}`, `${scheme}://127.0.0.1:${value.PORT}`];
  for (const origin of origins) {
    const { error: originError } = originSchema.validate(origin);
    if (originError || new URL(origin).origin !== origin) {
      throw new ConfigError(`invalid configuration: "ORIGINS" entry "${origin}" must be an origin such as https://chat.example.org`);
    }
  }
  return {
    host: value.HOST,
    port: value.PORT,
    databaseUrl: value.DATABASE_URL,
    databaseReadUrl: value.DATABASE_READ_URL,
    dataDir: path.resolve(value.DATA_DIR),
    origins,
    tls,
    trustProxy: value.TRUST_PROXY,
    trustProxyHops: value.TRUST_PROXY_HOPS,
    staticDir: path.resolve(value.STATIC_DIR),
    logLevel: value.LOG_LEVEL,
    accessLog: value.ACCESS_LOG,
    sessionTtlSeconds: value.SESSION_TTL_SECONDS,
    challengeTtlSeconds: value.CHALLENGE_TTL_SECONDS,
    maxEnvelopeBytes: value.MAX_ENVELOPE_BYTES,
    maxRequestBytes: value.MAX_REQUEST_BYTES,
    loginRateLimitPerMinute: value.LOGIN_RATE_LIMIT_PER_MINUTE,
    resetWaitSeconds: value.RESET_WAIT_SECONDS,
    resetRequestsPerDay: value.RESET_RATE_LIMIT_PER_DAY,
    appendRateLimitPerMinute: value.APPEND_RATE_LIMIT_PER_MINUTE,
    conversationRateLimitPerMinute: value.CONVERSATION_RATE_LIMIT_PER_MINUTE,
    sessionCacheMs: value.SESSION_CACHE_MS,
    blobQuotaBytes: value.BLOB_QUOTA_BYTES,
    blobGraceSeconds: value.BLOB_GRACE_SECONDS,
    vapid: value.VAPID_PUBLIC_KEY
      ? { publicKey: value.VAPID_PUBLIC_KEY, privateKey: value.VAPID_PRIVATE_KEY, subject: value.VAPID_SUBJECT ?? vapidSubject(origins[0]!) }
      : undefined,
    pushEndpointHosts: value.PUSH_ENDPOINT_HOSTS ? String(value.PUSH_ENDPOINT_HOSTS).split(',') : DEFAULT_PUSH_HOSTS,
  };
}

/**
 * The VAPID `sub` claim when VAPID_SUBJECT is unset: the app's https origin, else a mailto:
 * address at its host (push services want a way to reach the operator; set VAPID_SUBJECT).
 */
export function vapidSubject(origin: string): string {
  const url = new URL(origin);
  return url.protocol === 'https:' ? url.origin : `mailto:push@${url.hostname}`;
}

/** A configuration for tests and tools: defaults plus overrides, no environment. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({ LOG_LEVEL: 'silent', PORT: '0' }), ...overrides };
}
