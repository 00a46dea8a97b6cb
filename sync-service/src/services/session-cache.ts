import type { AuthenticatedSession } from '../db/sessions.ts';

interface Entry {
  session: AuthenticatedSession;
  /** performance.now() after which the entry is not used. */
  until: number;
}

/**
 * A short-lived, bounded, in-process cache of token hash → live session, so a burst
 * of requests with one token costs one Postgres lookup instead of one per request.
 *
 * Bound on staleness: an entry is used for at most `ttlMs` after it was read from
 * Postgres (and never past the session's own expiry). A session revoked through this
 * instance (logout, DELETE /sessions/{id}) is evicted at once; one revoked through
 * another instance, or expired, stops working here within `ttlMs`. Concurrent misses
 * for one token share a single lookup. `ttlMs` 0 disables the cache.
 */
export class SessionCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<AuthenticatedSession | null>>();
  /** Bumped by every eviction: a lookup that began before it is not cached. */
  private generation = 0;

  constructor(private readonly ttlMs: number, private readonly maxEntries = 10_000) {}

  async get(tokenHash: Buffer, lookup: () => Promise<(AuthenticatedSession & { expiresAt?: Date }) | null>): Promise<AuthenticatedSession | null> {
    if (this.ttlMs <= 0) return lookup();
    const key = tokenHash.toString('base64');
    const now = performance.now();
    const hit = this.entries.get(key);
    if (hit) {
      if (hit.until > now) return hit.session;
      this.entries.delete(key);
    }
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const generation = this.generation;
    const started = performance.now();
    const promise = lookup().then((row) => {
      if (!row || generation !== this.generation) return row;
      const { expiresAt, ...session } = row;
      // Counted from before the query: never used longer than ttlMs after Postgres said "live".
      let until = started + this.ttlMs;
      if (expiresAt) until = Math.min(until, started + (expiresAt.getTime() - Date.now()));
      if (until > performance.now()) {
        if (this.entries.size >= this.maxEntries) this.prune();
        // Later hits do not need to refresh last_seen_at again.
        this.entries.set(key, { session: { ...session, stale: false }, until });
      }
      return row;
    }).finally(() => {
      this.inFlight.delete(key);
    });
    this.inFlight.set(key, promise);
    return promise;
  }

  /** The session was revoked through this instance: forget it now. */
  evictSession(sessionId: string): void {
    this.generation++;
    // A lookup already in flight may have read the session before the revocation.
    this.inFlight.clear();
    for (const [key, e] of this.entries) if (e.session.sessionId === sessionId) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private prune(): void {
    const now = performance.now();
    for (const [key, e] of this.entries) if (e.until <= now) this.entries.delete(key);
    // Still full: drop the oldest (Map keeps insertion order).
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}
