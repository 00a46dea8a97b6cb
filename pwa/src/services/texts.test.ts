// Plain texts the user sees: the passphrase meter and the integrity warnings.
import { describe, expect, it } from 'vitest';
import { passphraseStrength } from './strength.ts';
import { describeProblem } from './warnings.ts';

describe('passphrase strength', () => {
  it('rates common, short and name-based passphrases weak and long unrelated words strong', () => {
    expect(passphraseStrength('', []).score).toBe(0);
    expect(passphraseStrength('password1', []).score).toBeLessThan(2);
    expect(passphraseStrength('alice2024', ['alice']).score).toBeLessThan(2);
    expect(passphraseStrength('aaaaaaaaaaaa', []).score).toBeLessThan(2);
    expect(passphraseStrength('correct horse battery staple 42', ['alice']).score).toBeGreaterThanOrEqual(3);
  });
});

describe('integrity warnings', () => {
  it('names each problem with a stable kind and plain words, naming the sender', () => {
    const cases: [string, string, RegExp][] = [
      ['tampered', 'tampered', /changed on the way/],
      ['bad-signature', 'bad-signature', /not signed by bob/],
      ['unknown-sender', 'unknown-sender', /unknown sender/],
      ['replayed', 'replayed', /delivered again/],
      ['reordered', 'reordered', /arrived later/],
      ['fork', 'fork', /history was altered/],
      ['epoch-bad-signature', 'membership', /not validly signed/],
    ];
    for (const [problem, kind, text] of cases) {
      const w = describeProblem(problem, { sender: 'bob' });
      expect(w.kind).toBe(kind);
      expect(w.text).toMatch(text);
    }
    expect(describeProblem('gap', { sender: 'bob', missing: 3 }).text).toBe('3 earlier messages from bob are missing: the server did not deliver them.');
  });
});
