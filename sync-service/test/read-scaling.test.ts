// Read scaling (issue 19): history reads take their entries from a standby (DATABASE_READ_URL)
// as far as it has replayed them, and the rest from the primary. Here the "standby" is a
// copy of the primary's database taken after the first messages: a standby that lags by
// exactly the later ones. Answers must equal the primary's, entry for entry; the counters
// of services/history-reader.ts show where they were read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Identity } from '../../protocol/src/index.ts';
import { Conv, call, login, register, send, startApp, type TestApp } from '../../test/support/service.ts';
import { copyTestDatabase, createTestDatabase, type TestDatabase } from '../../test/support/database.ts';
import { identity } from '../../test/support/identities.ts';
import { historyReads } from '../../sync-service/src/services/history-reader.ts';
import { freePort } from '../../db/embedded.ts';

const BEFORE_COPY = 30;
const AFTER_COPY = 12;

describe('read scaling: history from a lagging standby, completed by the primary', () => {
  let primary: TestDatabase;
  let standby: TestDatabase;
  let app: TestApp;
  let plain: TestApp;
  let alice: Identity, bob: Identity;
  let conv: Conv;
  let ta: string;
  let lastSeq: number;

  beforeAll(async () => {
    [alice, bob] = await Promise.all([identity('alice'), identity('bob')]);
    primary = await createTestDatabase('primary');
    const first = await startApp({ testDb: primary });
    for (const id of [alice, bob]) await register(first.server, id);
    const tb = (await login(first.server, bob)).token;
    conv = new Conv(`rs-${crypto.randomUUID()}`);
    expect((await call(first.server, 'POST', '/api/v1/conversations', { token: tb, payload: { epochRecord: await conv.makeEpoch(bob, [bob, alice]) } })).status).toBe(201);
    for (let i = 0; i < BEFORE_COPY; i++) expect((await send(first.server, tb, conv, await conv.seal(bob, `before ${i}`))).status).toBe(201);
    await first.stop();
    standby = await copyTestDatabase(primary, 'standby');

    app = await startApp({ testDb: primary, config: { databaseReadUrl: standby.url } });
    plain = await startApp({ testDb: primary });
    const tb2 = (await login(app.server, bob)).token;
    for (let i = 0; i < AFTER_COPY; i++) expect((await send(app.server, tb2, conv, await conv.seal(bob, `after ${i}`))).status).toBe(201);
    ta = (await login(app.server, alice)).token;
    lastSeq = 1 + BEFORE_COPY + AFTER_COPY; // the epoch record, then the messages
  }, 60_000);
  afterAll(async () => {
    await plain?.stop();
    await app?.stop();
    await standby?.drop();
    await primary?.drop();
  });

  it('POST /sync from the start: the standby serves what it has, the primary the rest, and the answer equals the primary-only one', async () => {
    const before = { ...historyReads };
    const viaStandby = await call(app.server, 'POST', '/api/v1/sync', { token: ta, payload: { cursors: {} } });
    const read = { standby: historyReads.standby - before.standby, primary: historyReads.primary - before.primary };
    expect(viaStandby.status).toBe(200);
    const seqs = viaStandby.json.entries.map((e: { seq: number }) => e.seq);
    expect(seqs).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
    expect(read).toEqual({ standby: 1 + BEFORE_COPY, primary: AFTER_COPY });

    const onlyPrimary = await call(plain.server, 'POST', '/api/v1/sync', { token: ta, payload: { cursors: {} } });
    expect(viaStandby.json).toEqual(onlyPrimary.json);
  });

  it('GET …/log past what the standby has replayed is read from the primary alone', async () => {
    const before = { ...historyReads };
    const res = await call(app.server, 'GET', `/api/v1/conversations/${conv.id}/log?after=${BEFORE_COPY + 3}`, { token: ta });
    expect(res.status).toBe(200);
    expect(res.json.entries.map((e: { seq: number }) => e.seq)).toEqual(Array.from({ length: lastSeq - BEFORE_COPY - 3 }, (_, i) => BEFORE_COPY + 4 + i));
    expect(historyReads.standby - before.standby).toBe(0);
    expect(historyReads.primary - before.primary).toBe(lastSeq - BEFORE_COPY - 3);
  });

  it('membership is the primary\'s: someone the standby does not know as a member still reads, a non-member never does', async () => {
    const carol = await identity('carol');
    await register(app.server, carol);
    const tc = (await login(app.server, carol)).token;
    // carol is in no conversation, on either database: nothing, and 404 on the log.
    const sync = await call(app.server, 'POST', '/api/v1/sync', { token: tc, payload: { cursors: { [conv.id]: 0 } } });
    expect(sync.status).toBe(200);
    expect(sync.json.entries).toEqual([]);
    expect((await call(app.server, 'GET', `/api/v1/conversations/${conv.id}/log`, { token: tc })).status).toBe(404);
  });

  it('a standby that cannot be reached costs nothing but its speed: every entry comes from the primary', async () => {
    const down = new URL(standby.url);
    down.port = String(await freePort());
    const lonely = await startApp({ testDb: primary, config: { databaseReadUrl: down.toString() } });
    try {
      const t = (await login(lonely.server, alice)).token;
      const before = { ...historyReads };
      const res = await call(lonely.server, 'POST', '/api/v1/sync', { token: t, payload: { cursors: {} } });
      expect(res.status).toBe(200);
      expect(res.json.entries).toHaveLength(lastSeq);
      expect(historyReads.standby - before.standby).toBe(0);
      expect(historyReads.primary - before.primary).toBe(lastSeq);
    } finally {
      await lonely.stop();
    }
  });
});
