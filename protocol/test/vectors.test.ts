// Opens every checked-in vector (vectors/*.json, made by scripts/make-vectors.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import envelopesJson from '../vectors/envelopes.json';
import epochsJson from '../vectors/epochs.json';
import { ProtocolError, openEpoch, openMessage, type Envelope, type EpochMember, type EpochRecord } from '../src/index.ts';
import { loadFixtures, type Fixtures, type UserName } from './fixtures.ts';

let f: Fixtures;
const records = epochsJson.records as unknown as Record<string, EpochRecord>;
beforeAll(async () => {
  f = await loadFixtures();
});

describe('vectors', () => {
  it('EPOCH8..EPOCH12: every epoch vector opens or fails as recorded', async () => {
    for (const c of epochsJson.cases) {
      const ctx = {
        me: f.ids[c.me as UserName],
        previous: c.previous === null ? null : records[c.previous]!,
        resolveIdentity: f.resolve,
        ...('conversationId' in c ? { conversationId: c.conversationId } : {}),
      };
      const got = await openEpoch(records[c.record]!, ctx).then(
        (r) => ({ members: r.members.map((m) => m.userId) }),
        (e: unknown) => {
          if (e instanceof ProtocolError) return { error: e.code };
          throw e;
        },
      );
      expect(got, c.name).toEqual(c.expect);
    }
  });

  it('OPEN1..OPEN7: every envelope vector opens to its plaintext or fails as recorded', async () => {
    const epochs = new Map<number, { key: CryptoKey; members: EpochMember[] }>();
    const me = f.ids[envelopesJson.opener as UserName];
    epochs.set(0, await openEpoch(records.e0!, { me, previous: null, resolveIdentity: f.resolve }));
    epochs.set(1, await openEpoch(records.e1!, { me, previous: records.e0!, resolveIdentity: f.resolve }));
    for (const c of envelopesJson.cases) {
      const r = await openMessage(c.envelope as unknown as Envelope, { conversationId: envelopesJson.conversationId, epochs, resolveIdentity: f.resolve });
      const want = 'error' in c.expect ? { ok: false, error: c.expect.error } : { ok: true, ...c.expect };
      expect(r, c.name).toEqual(want);
    }
  });
});
