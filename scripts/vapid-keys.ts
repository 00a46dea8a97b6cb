// Web Push needs a VAPID key pair (RFC 8292) that stays the same across restarts: browsers
// subscribe with its public key, and a push signed by another key is refused. When none is
// configured (VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY), `npm start` and `npm run dev` make one on
// first start and keep it beside the embedded Postgres's data, in DATA_DIR/../vapid.json
// (mode 0600), like the rest of what a start generates.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import webpush from 'web-push';
import { vapidSubject, type Config, type VapidKeys } from '../sync-service/src/config.ts';

export function vapidKeysFile(config: Config): string {
  return path.join(path.dirname(config.dataDir), 'vapid.json');
}

/** The configured keys, or the kept ones, or a new pair written to `vapidKeysFile` (first writer wins). */
export function ensureVapidKeys(config: Config, file: string = vapidKeysFile(config)): { config: Config; created: boolean } {
  if (config.vapid) return { config, created: false };
  const subject = process.env.VAPID_SUBJECT ?? vapidSubject(config.origins[0]!);
  const read = (): VapidKeys | null => {
    try {
      const k = JSON.parse(readFileSync(file, 'utf8')) as { publicKey?: unknown; privateKey?: unknown };
      return typeof k.publicKey === 'string' && typeof k.privateKey === 'string' ? { publicKey: k.publicKey, privateKey: k.privateKey, subject } : null;
    } catch {
      return null;
    }
  };
  let keys = read();
  let created = false;
  if (!keys) {
    const pair = webpush.generateVAPIDKeys();
    mkdirSync(path.dirname(file), { recursive: true });
    try {
      writeFileSync(file, `${JSON.stringify(pair, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      created = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    keys = read() ?? { ...pair, subject };
  }
  return { config: { ...config, vapid: keys }, created };
}
