// Display names (SPEC §8b): cleaned by the sender, checked strictly by readers, never
// shown as another user id.
import { describe, expect, it } from 'vitest';
import { checkPlaintext, cleanDisplayName, isCleanDisplayName, NAME_LIMITS, padPlaintext, shownName, unpadPlaintext } from '../src/index.ts';

describe('display names', () => {
  it('NAME2: bidi overrides, isolates, controls and zero-width characters are removed; spaces collapsed; cut to 64 characters and 200 bytes', () => {
    expect(cleanDisplayName('\u202Eecila\u202C')).toBe('ecila');
    expect(cleanDisplayName('  Ada\u2066 \u200B Lovelace\u2069\n')).toBe('Ada Lovelace');
    expect(cleanDisplayName('Ade\u0301le')).toBe('Ad\u00e9le'); // NFC
    expect([...cleanDisplayName('x'.repeat(500))]).toHaveLength(NAME_LIMITS.maxChars);
    const wide = cleanDisplayName('𝔸'.repeat(60)); // 4 bytes each
    expect(new TextEncoder().encode(wide).length).toBeLessThanOrEqual(NAME_LIMITS.maxBytes);
    expect([...wide]).toHaveLength(50);
  });

  it('NAME1, NAME3: a profile plaintext carries a clean name only: refused at seal time and when read otherwise', () => {
    const ok = { type: 'profile' as const, body: 'Ada Lovelace', composedAt: 1 };
    expect(unpadPlaintext(padPlaintext(ok))).toEqual(ok);
    for (const body of ['', '\u202Eevil', 'a\u0000b', ' padded ', 'x'.repeat(65)]) {
      expect(isCleanDisplayName(body)).toBe(false);
      expect(() => padPlaintext({ type: 'profile', body, composedAt: 1 }), JSON.stringify(body)).toThrow(/profile name/);
      expect(() => checkPlaintext({ type: 'profile', body, composedAt: 1 })).toThrow(/profile name/);
    }
    expect(() => checkPlaintext({ type: 'profile', body: 'Ada', composedAt: 1, refs: ['0b8f2f8e-1c8e-4a8e-9a8e-0b8f2f8e1c8e'] })).toThrow(/profile name/);
  });

  it('NAME4: a name reading as another known user id is not shown (case, accents, spaces and "@" ignored); the sender\'s own id is fine', () => {
    const known = ['ada', 'bea', 'mallory'];
    expect(shownName('Bea', 'mallory', known)).toBeNull();
    expect(shownName('@BÉA', 'mallory', known)).toBeNull();
    expect(shownName('b e a', 'mallory', known)).toBeNull();
    expect(shownName('bea', 'bea', known)).toBe('bea');
    expect(shownName('Bea from work', 'mallory', known)).toBe('Bea from work');
    expect(shownName('\u202Eaeb', 'mallory', known)).toBeNull(); // not clean (NAME3)
    expect(shownName(undefined, 'mallory', known)).toBeNull();
  });
});
