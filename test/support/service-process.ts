// The sync service as a real process, `node --import tsx sync-service/src/start.ts`, for the
// tests that kill it (crash without loss, failover on a cluster). Logs silent, rate limits
// out of the way.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServiceSpawn {
  child: ChildProcess;
  /** Resolves once the service says it is listening; rejects if it exits first (or after `timeoutMs`). */
  listening: Promise<void>;
}

/** Start the service on 127.0.0.1:`port` with `databaseUrl`, accepting logins from `origin`. */
export function spawnService(opts: { port: number; databaseUrl: string; origin: string; timeoutMs?: number }): ServiceSpawn {
  const child = spawn(process.execPath, ['--import', 'tsx', 'sync-service/src/start.ts'], {
    cwd: ROOT,
    env: {
      ...process.env, DATABASE_URL: opts.databaseUrl, PORT: String(opts.port), HOST: '127.0.0.1', LOG_LEVEL: 'silent',
      ORIGINS: opts.origin, APPEND_RATE_LIMIT_PER_MINUTE: '100000000', LOGIN_RATE_LIMIT_PER_MINUTE: '100000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => { err = (err + String(d)).slice(-4000); });
  const listening = new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = opts.timeoutMs === undefined
      ? undefined
      : setTimeout(() => reject(new Error(`service did not listen within ${opts.timeoutMs! / 1000} s: ${err}`)), opts.timeoutMs);
    child.stdout!.on('data', (d) => {
      out += String(d);
      if (out.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`service exited (${code}) before listening: ${err}`));
    });
  });
  return { child, listening };
}
