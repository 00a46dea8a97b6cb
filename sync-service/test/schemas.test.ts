// The joi schemas are built from protocol's rules: they must let through everything
// protocol's parsers accept (the checked-in vectors), and they must stop at the same
// limits, one step past each of them.
import { describe, expect, it } from 'vitest';
import type Joi from 'joi';
import envelopesJson from '../../protocol/vectors/envelopes.json';
import epochsJson from '../../protocol/vectors/epochs.json';
import keysJson from '../../protocol/vectors/keys.json';
import {
  LIMITS, MAX_EPOCH, SIG_BYTES, base64UrlChars, parseEnvelope, parseEpochRecord, parsePublicIdentity,
} from '../../protocol/src/index.ts';
import * as S from '../src/schemas.ts';

const passes = (schema: Joi.Schema, value: unknown): boolean => schema.validate(value).error === undefined;

/** The vectors protocol's own parser accepts. */
function accepted<T>(values: unknown[], parse: (v: unknown) => T): T[] {
  return values.flatMap((v) => {
    try {
      return [parse(v)];
    } catch {
      return [];
    }
  });
}

describe('joi schemas from protocol rules', () => {
  const envelopes = accepted(envelopesJson.cases.map((c) => c.envelope), parseEnvelope);
  const records = accepted(Object.values(epochsJson.records), parseEpochRecord);
  const identities = keysJson.identities.map((k) => parsePublicIdentity(k.public));

  it('WIRE4, WIRE5, WIRE6: every vector protocol accepts passes the schema of its kind', () => {
    expect(envelopes.length).toBeGreaterThan(5);
    expect(records.length).toBeGreaterThan(2);
    for (const e of envelopes) expect(passes(S.envelope, e), e.clientMessageId).toBe(true);
    for (const r of records) expect(passes(S.epochRecord, r), `${r.conversationId}/${r.epoch}`).toBe(true);
    for (const i of identities) expect(passes(S.publicIdentity, i), i.userId).toBe(true);
  });

  it('WIRE3, WIRE5, WIRE6, WIRE7: one step past a protocol limit fails the schema', () => {
    const env = envelopes[0]!;
    const rec = records[0]!;
    expect(passes(S.envelope, { ...env, epoch: MAX_EPOCH })).toBe(true);
    expect(passes(S.envelope, { ...env, epoch: MAX_EPOCH + 1 })).toBe(false);
    expect(passes(S.envelope, { ...env, conversationId: 'c'.repeat(128) })).toBe(true);
    expect(passes(S.envelope, { ...env, conversationId: 'c'.repeat(129) })).toBe(false);
    expect(passes(S.envelope, { ...env, sig: 'A'.repeat(base64UrlChars(SIG_BYTES) + 1) })).toBe(false);
    expect(passes(S.envelope, { ...env, iv: env.iv + 'A' })).toBe(false);
    const many = (n: number) => Array.from({ length: n }, (_, i) => ({ ...rec.members[0]!, userId: `u${String(i).padStart(3, '0')}` }));
    const keys = (n: number) => Array.from({ length: n }, (_, i) => ({ ...rec.wrappedKeys[0]!, userId: `u${String(i).padStart(3, '0')}` }));
    expect(passes(S.epochRecord, { ...rec, members: many(LIMITS.maxMembers), wrappedKeys: keys(LIMITS.maxMembers) })).toBe(true);
    expect(passes(S.epochRecord, { ...rec, members: many(LIMITS.maxMembers + 1), wrappedKeys: keys(LIMITS.maxMembers + 1) })).toBe(false);
  });

  it('user names and user ids follow protocol USER_NAME_RE / USER_ID_RE', () => {
    for (const ok of ['bob', 'Bob.Smith', 'a_b-c', 'x'.repeat(32)]) expect(passes(S.userName, ok), ok).toBe(true);
    for (const bad of ['ab', 'x'.repeat(33), '.bob', 'bob-', 'bo b', 'bøb']) expect(passes(S.userName, bad), bad).toBe(false);
    expect(passes(S.userId, 'bob.smith')).toBe(true);
    expect(passes(S.userId, 'Bob')).toBe(false);
  });
});
