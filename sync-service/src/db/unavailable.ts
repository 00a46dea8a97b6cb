// Which database errors mean "Postgres is not there right now" (a failover, a restart, a
// lost connection) rather than a fault of the request or of the service. The append queue
// retries them briefly; whatever is left becomes 503 database_unavailable with Retry-After
// (plugins/errors), never a 500: a client resends with the same client id, which is
// idempotent, so an append whose commit was in flight is stored once either way.

/** SQLSTATEs after which the same statement may succeed on a new connection. */
const RETRYABLE_SQLSTATE = new Set([
  '57P01', // admin_shutdown: terminated by the administrator, or a fast shutdown (demotion)
  '57P02', // crash_shutdown: another backend crashed
  '57P03', // cannot_connect_now: starting up, shutting down, in recovery
  '25006', // read_only_sql_transaction: a pooled connection to a server demoted to standby
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '53300', // too_many_connections
]);

const RETRYABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'MH_NO_PRIMARY', 'MH_NOT_PRIMARY']);

// node-postgres reports a connection that died under a query by message only.
const RETRYABLE_MESSAGE = /Connection terminated|connection error|not queryable|timeout expired|timeout exceeded when trying to connect|Client was closed|terminating connection/i;

/** True when `error` means the database was unreachable or went away, not that the request was wrong. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (RETRYABLE_SQLSTATE.has(code) || RETRYABLE_ERRNO.has(code) || code.startsWith('08')) return true;
    if (/^[0-9A-Z]{5}$/.test(code)) return false; // any other SQLSTATE is an answer from Postgres
  }
  return RETRYABLE_MESSAGE.test(error.message);
}

/** Seconds a client should wait before resending after a 503 database_unavailable. */
export const DATABASE_RETRY_AFTER_SECONDS = 1;
