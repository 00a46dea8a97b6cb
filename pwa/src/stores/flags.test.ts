// Pin and archive (issue 16): kept on the device; a new message brings an archived conversation back.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './db.ts';
import { isArchived, loadFlags, setFlags } from './flags.ts';

describe('conversation flags', () => {
  it('keeps pins and archives across a reopen, one conversation at a time, and drops empty rows', async () => {
    const name = `flags-${Math.random().toString(36).slice(2)}`;
    let db = await openDatabase(name);
    await setFlags(db, 'c1', { pinned: true });
    await setFlags(db, 'c2', { archivedAt: 1000 });
    await setFlags(db, 'c1', { archivedAt: 500 });
    db.close();
    db = await openDatabase(name);
    expect(await loadFlags(db)).toEqual({ c1: { pinned: true, archivedAt: 500 }, c2: { archivedAt: 1000 } });
    await setFlags(db, 'c2', { archivedAt: 0 });
    await setFlags(db, 'c1', { pinned: false });
    expect(await loadFlags(db)).toEqual({ c1: { archivedAt: 500 } });
    db.close();
  });

  it('an archived conversation stays archived until a message newer than the archiving (Signal)', () => {
    expect(isArchived({ archivedAt: 1000 }, 900)).toBe(true);
    expect(isArchived({ archivedAt: 1000 }, 1000)).toBe(true);
    expect(isArchived({ archivedAt: 1000 }, 1001)).toBe(false);
    expect(isArchived({ pinned: true }, 1)).toBe(false);
    expect(isArchived(undefined, 1)).toBe(false);
  });
});
