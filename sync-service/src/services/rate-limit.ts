import type { Request } from '@hapi/hapi';
import { isIP } from 'node:net';
import type { Database } from '../db/index.ts';
import { RateLimitedError } from './errors.ts';

/**
 * Shared fixed-window limit (one minute) kept in Postgres: every instance counts
 * against the same row, so it holds across a fleet of stateless instances.
 * Used for registration, challenges and logins, which are rare and worth one write.
 */
export async function sharedLimit(db: Database, key: string, perMinute: number, refuse: (retryAfter: number) => RateLimitedError = (s) => new RateLimitedError(s)): Promise<void> {
  const { count, retryAfter } = await db.rateLimits.hit(key, 60);
  if (count > perMinute) throw refuse(retryAfter);
}

/**
 * Per-instance fixed-window limit in memory, for appends (too frequent to cost a
 * write each). With N instances behind a balancer a user gets up to N times the
 * limit; it protects each instance and the database from one runaway client.
 */
export class LocalLimiter {
  private windowStart = 0;
  private counts = new Map<string, number>();

  constructor(private readonly perMinute: number, private readonly now: () => number = Date.now) {}

  /** Count `cost` hits for key; throws 429 when over the limit. */
  hit(key: string, cost = 1): void {
    const t = this.now();
    const window = Math.floor(t / 60_000) * 60_000;
    if (window !== this.windowStart) {
      this.windowStart = window;
      this.counts.clear();
    }
    const count = (this.counts.get(key) ?? 0) + cost;
    this.counts.set(key, count);
    if (count > this.perMinute) throw new RateLimitedError((window + 60_000 - t) / 1000);
  }
}

/**
 * The client's address (THREATS L5): the socket's, or behind `trustProxyHops` trusted
 * proxies the X-Forwarded-For entry the outermost of them appended, counted from the
 * right. Entries further left were written by the client and are never used; an entry
 * that is not an IP address falls back to the socket's address.
 */
export function clientAddress(request: Request): string {
  const { trustProxy, trustProxyHops } = request.server.app.config;
  if (trustProxy) {
    const header = request.headers['x-forwarded-for'] as string | string[] | undefined;
    const hops = (Array.isArray(header) ? header.join(',') : header ?? '').split(',').map((h) => h.trim()).filter(Boolean);
    const hop = hops[Math.max(0, hops.length - trustProxyHops)];
    if (hop !== undefined && isIP(hop) !== 0) return hop;
  }
  return request.info.remoteAddress;
}
