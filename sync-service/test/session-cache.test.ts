import { describe, expect, it } from 'vitest';
import type { AuthenticatedSession } from '../src/db/sessions.ts';
import { SessionCache } from '../src/services/session-cache.ts';

const hash = (n: number) => Buffer.alloc(32, n);
const session = (id: string, expiresAt = new Date(Date.now() + 3600_000)): AuthenticatedSession => ({ sessionId: id, userPk: 1, userId: 'alice', stale: true, expiresAt });

describe('SessionCache (bearer lookups reused for a bounded time)', () => {
  it('reuses a live session, shares concurrent lookups, and reports stale only once', async () => {
    const cache = new SessionCache(5000);
    let lookups = 0;
    const lookup = async () => { lookups++; return session('s1'); };
    const [a, b] = await Promise.all([cache.get(hash(1), lookup), cache.get(hash(1), lookup)]);
    expect(lookups).toBe(1);
    expect(a?.stale).toBe(true);
    expect(b?.sessionId).toBe('s1');
    const c = await cache.get(hash(1), lookup);
    expect(lookups).toBe(1);
    expect(c).toMatchObject({ sessionId: 's1', stale: false });
  });

  it('never caches an unknown token, and forgets a session revoked through this instance', async () => {
    const cache = new SessionCache(5000);
    let lookups = 0;
    expect(await cache.get(hash(2), async () => { lookups++; return null; })).toBeNull();
    expect(await cache.get(hash(2), async () => { lookups++; return null; })).toBeNull();
    expect(lookups).toBe(2);
    await cache.get(hash(3), async () => session('s3'));
    cache.evictSession('s3');
    expect(await cache.get(hash(3), async () => null)).toBeNull();
  });

  it('does not keep a lookup that was in flight when the session was revoked', async () => {
    const cache = new SessionCache(5000);
    let release!: () => void;
    const first = cache.get(hash(4), () => new Promise((r) => { release = () => r(session('s4')); }));
    cache.evictSession('s4');
    release();
    await first;
    expect(await cache.get(hash(4), async () => null)).toBeNull();
  });

  it('does not cache a session past its expiry, nor at all when disabled', async () => {
    const cache = new SessionCache(5000);
    await cache.get(hash(5), async () => session('s5', new Date(Date.now() - 1000)));
    expect(await cache.get(hash(5), async () => null)).toBeNull();
    const off = new SessionCache(0);
    await off.get(hash(6), async () => session('s6'));
    expect(await off.get(hash(6), async () => null)).toBeNull();
    expect(off.size).toBe(0);
  });

  it('stays bounded', async () => {
    const cache = new SessionCache(5000, 3);
    for (let i = 0; i < 10; i++) await cache.get(hash(10 + i), async () => session(`b${i}`));
    expect(cache.size).toBeLessThanOrEqual(3);
  });
});
