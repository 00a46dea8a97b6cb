// Plain texts the user sees: the passphrase meter, and the one table (warnings.ts) that
// turns warning and block-reason codes into words.
import { describe, expect, it } from 'vitest';
import { ApiError, NetworkError } from './api.ts';
import { passphraseStrength, REQUIRED_SCORE } from './strength.ts';
import { AppError, BlockedError, blockText, plainError, warningFor, type BlockReason } from './warnings.ts';
import { keyChangeText, rotationNotice, warningText } from './warning-texts.ts';

describe('passphrase strength', () => {
  it('rates common, short and name-based passphrases weak and long unrelated words strong', async () => {
    expect((await passphraseStrength('', [])).score).toBe(-1);
    expect((await passphraseStrength('password1', [])).score).toBeLessThan(2);
    expect((await passphraseStrength('alice2024', ['alice'])).score).toBeLessThan(2);
    expect((await passphraseStrength('aaaaaaaaaaaa', [])).score).toBeLessThan(2);
    expect((await passphraseStrength('correct horse battery staple 42', ['alice'])).score).toBeGreaterThanOrEqual(REQUIRED_SCORE);
  });

  it('issue 16 bug 7: refuses the passphrases a newcomer found accepted ("fair") for the key file', async () => {
    for (const weak of ['ilovemydog', 'Summer2024!', 'Tr0ub4dor&3']) {
      expect((await passphraseStrength(weak, ['newcomer'])).score, weak).toBeLessThan(REQUIRED_SCORE);
    }
  });
});

describe('integrity warnings', () => {
  it('maps each stored problem to a stable code and plain words, naming the sender', () => {
    const cases: [string, string, RegExp][] = [
      ['tampered', 'tampered', /changed on the way/],
      ['bad-signature', 'bad-signature', /not signed by bob/],
      ['unknown-sender', 'unknown-sender', /unknown sender/],
      ['not-a-member', 'not-a-member', /not a member/],
      ['unknown-epoch', 'unknown-epoch', /never received/],
      ['wrong-conversation', 'wrong-conversation', /another conversation/],
      ['unsupported-version', 'unsupported-version', /newer version/],
      ['malformed', 'malformed', /damaged/],
      ['replayed', 'replayed', /delivered again/],
      ['reordered', 'reordered', /arrived later/],
      ['fork', 'fork', /history was altered/],
      ['epoch-bad-signature', 'membership', /not validly signed by a member \(bad-signature\)/],
      ['epoch-replayed', 'membership', /delivered again and ignored/],
      ['epoch-key-mismatch', 'membership', /a key this device has not accepted/],
      ['epoch-not-an-admin', 'not-an-admin', /bob, who is not an admin of this group/],
      ['something-new', 'unknown', /could not be verified \(something-new\)/],
    ];
    for (const [problem, code, text] of cases) {
      const w = warningFor(problem, { sender: 'bob' });
      expect(w.code).toBe(code);
      expect(warningText(w)).toMatch(text);
    }
    expect(warningText(warningFor('gap', { sender: 'bob', missing: 3 }))).toBe('3 earlier messages from bob are missing: the server did not deliver them.');
    expect(warningText(warningFor('gap', { sender: 'bob' }))).toBe('1 earlier message from bob is missing: the server did not deliver it.');
    // An unknown sender ('?') is "someone", never a name the server made up.
    expect(warningText(warningFor('tampered', { sender: '?' }))).toMatch(/from someone/);
    expect(warningText({ code: 'rejected', error: null })).toBe('Not sent: the server refused it.');
  });
});

describe('block reasons', () => {
  it('has words for every code, and a BlockedError carries the code, not only prose', () => {
    const all: BlockReason[] = [
      { code: 'unknown-conversation' }, { code: 'membership-alert' }, { code: 'keys-not-arrived' },
      { code: 'key-unknown', userId: 'bob' }, { code: 'key-changed', userId: 'bob', name: 'Bob', when: 'send' },
      { code: 'key-changed', userId: 'bob', name: 'Bob', when: 'start' }, { code: 'own-user-name' },
      { code: 'user-name-empty' }, { code: 'user-name-format', typed: 'bob!' },
      { code: 'rekey-refused' }, { code: 'rekey-offline' }, { code: 'removed' },
      { code: 'not-admin' }, { code: 'group-name', problem: 'empty' }, { code: 'group-name', problem: 'too-long' },
      { code: 'group-name', problem: 'control-characters' }, { code: 'group-empty' }, { code: 'group-too-large', max: 256 }, { code: 'not-a-group' },
    ];
    for (const r of all) expect(blockText(r).length).toBeGreaterThan(10);
    expect(blockText({ code: 'membership-alert' })).toMatch(/without a valid signature/);
    // L10: the user id, never the server-chosen display name.
    expect(blockText({ code: 'key-changed', userId: 'bob', name: 'Bob', when: 'send' })).toBe("bob's key has changed. Review it before sending.");
    expect(blockText({ code: 'key-changed', userId: 'bob', name: 'Bob', when: 'start' })).toMatch(/^bob's key has changed\. Review it on their safety number screen/);
    const e = new BlockedError({ code: 'rekey-offline' });
    expect(e.reason).toEqual({ code: 'rekey-offline' });
    expect(plainError(e)).toBe(blockText({ code: 'rekey-offline' }));
  });

  it('says plainly what went wrong for errors the user can act on', () => {
    expect(plainError(new NetworkError())).toMatch(/cannot be reached/);
    expect(plainError(new ApiError(409, 'user_name_taken', 'taken'))).toMatch(/user name is taken/);
    // Issue 16, bug 4: the service's own text never reaches the screen.
    expect(plainError(new ApiError(500, 'internal', 'The server failed.'))).not.toContain('The server failed.');
    const joi = new ApiError(400, 'invalid_request', 'invalid params: "userId" is not valid (string.pattern.name)');
    expect(plainError(joi)).not.toMatch(/invalid params|string\.pattern|userId/);
    expect(plainError(new Error('Password must be specified'))).not.toContain('Password must be specified');
    expect(plainError(new Error('plaintext: body'))).not.toContain('plaintext');
    expect(plainError(new AppError('message-too-long', 8005))).toMatch(/too long: 8,005 characters, and the limit is 8,000/);
    expect(plainError('a string')).toMatch(/^Something went wrong/);
  });
});

describe('key changes (M2, L1, L10)', () => {
  it('tells a signed rotation (a notice) from a reset, a forged rotation and an unexplained change (all paused), naming the user id', () => {
    expect(keyChangeText('bob', 'rotation')).toBe('bob rotated their key; it was signed by their previous key.');
    expect(rotationNotice('bob')).toMatch(/^bob rotated their key; it was signed by their previous key\. Your safety number with bob changed/);
    for (const k of ['reset', 'forged-rotation', 'unexplained', undefined] as const) {
      expect(keyChangeText('bob', k)).toMatch(/Sending to bob is paused\. Compare safety numbers with bob/);
      // Never the old excuse that invites accepting an attack.
      expect(keyChangeText('bob', k)).not.toMatch(/reinstall/);
    }
    expect(keyChangeText('bob', 'reset')).toMatch(/^bob's account was reset/);
    expect(keyChangeText('bob', 'forged-rotation')).toMatch(/not validly signed/);
    expect(keyChangeText('bob', 'unexplained')).toMatch(/Restoring from a key file keeps the same key, so an unexplained change can be an attack/);
    expect(keyChangeText('bob', undefined)).toBe(keyChangeText('bob', 'unexplained'));
  });
});
