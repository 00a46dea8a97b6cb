// Drafts (issue 16, bug 2): one per conversation, sealed at rest, bound to its conversation.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './db.ts';
import { loadDraft, saveDraft } from './drafts.ts';

let n = 0;
const freshName = () => `drafts-test-${++n}-${Math.random().toString(36).slice(2)}`;

describe('drafts', () => {
  it('keeps one draft per conversation, across a reopen, and deletes a blank one', async () => {
    const name = freshName();
    let db = await openDatabase(name);
    await saveDraft(db, 'c-bob', 'for Bob only');
    await saveDraft(db, 'c-carol', 'for Carol');
    db.close();
    db = await openDatabase(name);
    expect(await loadDraft(db, 'c-bob')).toBe('for Bob only');
    expect(await loadDraft(db, 'c-carol')).toBe('for Carol');
    expect(await loadDraft(db, 'c-none')).toBe('');
    await saveDraft(db, 'c-bob', '   ');
    expect(await loadDraft(db, 'c-bob')).toBe('');
    expect(await db.get('settings', 'draft:c-bob')).toBeUndefined();
    db.close();
  });

  it('stores no draft text in clear, under a non-extractable key, and a draft moved to another conversation does not open', async () => {
    const db = await openDatabase(freshName());
    const secret = 'meet me at the old mill at nine';
    await saveDraft(db, 'c-bob', secret);
    const rows = await db.getAll('settings');
    const asText = JSON.stringify(rows, (_k, v: unknown) => (v instanceof ArrayBuffer || ArrayBuffer.isView(v) ? Buffer.from(v as ArrayBuffer).toString('latin1') : v));
    expect(asText).not.toContain('old mill');
    const key = (await db.get('settings', 'draft-key'))!.value as CryptoKey;
    expect(key.extractable).toBe(false);
    // The sealed row copied under another conversation's key name fails its associated data.
    const row = (await db.get('settings', 'draft:c-bob'))!;
    await db.put('settings', { key: 'draft:c-carol', value: row.value });
    expect(await loadDraft(db, 'c-carol')).toBe('');
    db.close();
  });
});
