// Reasons, not sentences: every integrity warning and every reason sending is paused is a
// value with a stable `code` (used as data-kind in the UI and by tests). The words the
// user reads live in one table per union, here and in warning-texts.ts (the tables only
// the lazy screens show: warnings, timeline events, key changes), and nowhere else: code
// never compares or parses a sentence. (The pattern of tldraw's TLIncompatibilityReason.)
import type { GroupNameProblem } from '../../../protocol/src/index.ts';
import type { KeyChangeKind } from '../stores/db.ts';
import { LIMITS } from '../../../protocol/src/rules.ts';
import { ApiError, NetworkError } from './api.ts';

/** Something wrong with a stored entry, shown inline in the conversation (THREATS). */
export type Warning =
  | { code: 'tampered' | 'bad-signature' | 'unknown-sender' | 'not-a-member' | 'unknown-epoch' | 'unsupported-version' | 'replayed' | 'reordered' | 'fork'; sender: string | null }
  /** ADMIT3..ADMIT5 (L2): a message that opened, refused by the epochs accepted before it. */
  | { code: 'sender-removed' | 'sender-key-changed' | 'signer-revoked' | 'stale-epoch'; sender: string | null }
  /** DEV3, DEV10: a device the sender's key does not vouch for, or one the sender revoked. */
  | { code: 'bad-certificate' | 'revoked-device'; sender: string | null }
  | { code: 'wrong-conversation' | 'malformed' }
  | { code: 'gap'; sender: string | null; missing: number }
  /** A refused epoch entry; `problem` is the protocol's reason, e.g. 'epoch-bad-signature' or 'epoch-replayed'. */
  | { code: 'membership'; problem: string }
  /** GRP5 (M1, L9): a change to a group's members signed by a member who is not one of its admins, refused. */
  | { code: 'not-an-admin'; by: string | null }
  /** The service refused an outgoing message; `error` is its message, if any. */
  | { code: 'rejected'; error: string | null }
  /**
   * HIST4: an epoch of this account's earlier key whose archived key the service did not
   * give: its messages cannot be opened on this device (nothing forged, nothing to review).
   */
  | { code: 'not-archived' }
  /** A problem this client has no words for yet. */
  | { code: 'unknown'; problem: string };

export type WarningCode = Warning['code'];

/**
 * A membership event in the timeline (MEMB2, L9): what an accepted, signed epoch record
 * changed, by its creator. The view layer turns it into words with `eventText`.
 */
export type TimelineEvent =
  | { code: 'started'; by: string; with: string[] }
  | { code: 'joined'; by: string }
  | { code: 'member-added' | 'member-removed'; by: string; userId: string }
  /**
   * An epoch that wraps the key to a member's new key. `change`: why the key changed, as this
   * device accepted it (ACCT5: 'rotation' is signed by the previous key, a notice; LOST2:
   * 'own' is this account's own rotation); absent when it is not known.
   */
  | { code: 'key-changed'; by: string; userId: string; change?: KeyChangeKind | 'own' }
  /** GRP6: `by` left the group. */
  | { code: 'member-left'; by: string; userId: string }
  | { code: 'rekeyed'; by: string }
  /** GRP1: epoch 0 of a group, with its (decrypted) name; null when it does not open. */
  | { code: 'group-created'; by: string; name: string | null; with: string[] }
  /**
   * A contact's messages first arrive from a device not seen before here, certified by the key
   * this device pinned for them (DEV3: a notice, nothing to do); or a device of theirs that
   * their key revoked (DEV8, a verified record).
   */
  | { code: 'device-added' | 'device-revoked'; by: string; userId: string };

export type EventCode = TimelineEvent['code'];

/** Why sending in a conversation is paused or refused. */
export type BlockReason =
  | { code: 'unknown-conversation' }
  | { code: 'membership-alert' }
  | { code: 'keys-not-arrived' }
  /** A signed epoch no longer lists this user. */
  | { code: 'removed' }
  | { code: 'key-unknown'; userId: string }
  /** `when`: paused in an existing conversation ('send') or refused when starting one ('start'). */
  | { code: 'key-changed'; userId: string; name: string; when: 'send' | 'start' }
  | { code: 'own-user-name' }
  /** A user name was asked for and none was typed, or not one a user could have. */
  | { code: 'user-name-empty' }
  /** `typed`: as the user typed it (among several names, which one). */
  | { code: 'user-name-format'; typed: string }
  | { code: 'rekey-refused' }
  | { code: 'rekey-offline' }
  /** GRP5: only an admin of a group adds or removes members. */
  | { code: 'not-admin' }
  /** GRP3: the group name was refused. */
  | { code: 'group-name'; problem: GroupNameProblem }
  | { code: 'group-empty' }
  | { code: 'not-a-group' }
  | { code: 'group-too-large'; max: number };

export type BlockCode = BlockReason['code'];

/** The warning for a stored check's `problem` (as ingest records it). */
export function warningFor(problem: string, ctx: { sender?: string; missing?: number } = {}): Warning {
  const sender = ctx.sender && ctx.sender !== '?' ? ctx.sender : null;
  switch (problem) {
    case 'tampered':
    case 'bad-signature':
    case 'unknown-sender':
    case 'not-a-member':
    case 'unknown-epoch':
    case 'unsupported-version':
    case 'replayed':
    case 'reordered':
    case 'fork':
    case 'sender-removed':
    case 'sender-key-changed':
    case 'signer-revoked':
    case 'stale-epoch':
    case 'bad-certificate':
    case 'revoked-device':
      return { code: problem, sender };
    case 'wrong-conversation':
    case 'malformed':
      return { code: problem };
    case 'gap':
      return { code: 'gap', sender, missing: ctx.missing ?? 1 };
    case 'epoch-not-an-admin':
      return { code: 'not-an-admin', by: sender };
    case 'epoch-not-archived':
      return { code: 'not-archived' };
    default:
      return problem.startsWith('epoch-') ? { code: 'membership', problem } : { code: 'unknown', problem };
  }
}

/** The words for a block reason. */
export function blockText(r: BlockReason): string {
  switch (r.code) {
    case 'unknown-conversation': return 'This conversation is not known on this device.';
    case 'membership-alert': return 'Someone tried to change who is in this conversation without a valid signature. Review the warning before sending.';
    case 'keys-not-arrived': return 'The keys of this conversation have not arrived yet.';
    case 'removed': return 'You are no longer a member of this conversation.';
    case 'key-unknown': return `${r.userId}'s key is not known yet.`;
    case 'key-changed':
      return r.when === 'start'
        ? `${r.userId}'s key has changed. Review it on their safety number screen first.`
        : `${r.userId}'s key has changed. Review it before sending.`;
    case 'own-user-name': return 'That is your own user name.';
    case 'user-name-empty': return 'Type the user name of the person.';
    case 'user-name-format': {
      // Isolated, so a right-to-left name cannot reorder the sentence around it; cut if long.
      const shown = r.typed.length > 40 ? `${r.typed.slice(0, 40)}…` : r.typed;
      return `“\u2068${shown}\u2069” is not a user name. ${appErrorText('user-name-format')}`;
    }
    case 'rekey-refused':
      return 'The server refuses new keys for this conversation because it claims a newer membership or key change that this device did not accept. Someone may be interfering with this conversation; compare safety numbers with your contacts.';
    case 'rekey-offline':
      return 'A contact’s key changed, so this conversation needs new keys, and the server cannot be reached to share them. Try again when online.';
    case 'not-admin': return 'Only an admin of this group can add or remove members.';
    case 'group-name':
      return r.problem === 'empty'
        ? 'Give the group a name.'
        : r.problem === 'too-long'
          ? 'That group name is too long (at most 64 characters).'
          : 'A group name cannot contain line breaks or invisible control characters.';
    case 'group-empty': return 'Add at least one other person to the group.';
    case 'not-a-group': return 'Only a group can be left; a conversation with one person can be hidden from the list instead.';
    case 'group-too-large': return `A group has at most ${r.max} members, you included.`;
  }
}

/** Sending is refused; `reason` says why (its message is the table's words, for logs). */
export class BlockedError extends Error {
  readonly reason: BlockReason;
  constructor(reason: BlockReason) {
    super(blockText(reason));
    this.name = 'BlockedError';
    this.reason = reason;
  }
}

/** The words for the service's stable error codes; the service's own message is never shown. */
const API_ERRORS: Record<string, string> = {
  user_name_taken: 'That user name is taken. Choose another one.',
  rate_limited: 'Too many attempts. Wait a minute and try again.',
  unknown_user: 'There is no one with that user name. Check the spelling.',
  not_found: 'That was not found on the server.',
  unauthorized: 'This device is signed out. Reload the app to sign in again.',
  forbidden: 'The server does not allow that.',
  payload_too_large: 'That is too large to send.',
  cannot_block_self: 'You cannot block yourself.',
  origin_not_allowed: 'This address of MessageHub is not allowed by the server.',
  challenge_expired: 'That took too long. Try again.',
  key_changed: 'A key changed at the same time. Try again.',
  reset_pending: 'A key reset is already waiting for this account.',
};

/** Errors raised by this app's own checks, by a code of their own (never parsed from a message). */
export type AppErrorCode =
  | 'message-too-long' | 'user-name-format' | 'passphrase-empty' | 'offline-new-conversation' | 'device-holds-other-account' | 'sign-out-this-device'
  | 'strength-unavailable';

export function appErrorText(code: AppErrorCode, detail?: number): string {
  switch (code) {
    case 'message-too-long':
      return `This message is too long: ${fmt(detail ?? 0)} characters, and the limit is ${fmt(LIMITS.maxBodyChars)}. Shorten it or send it in parts; nothing was sent and your text is kept.`;
    case 'user-name-format':
      return 'A user name has 3 to 32 letters, digits, dots, dashes or underscores, and starts and ends with a letter or digit.';
    case 'passphrase-empty':
      return 'Type your passphrase.';
    case 'offline-new-conversation':
      return 'You are offline. A new conversation can be started when you are online; existing ones open as usual.';
    case 'device-holds-other-account':
      return 'This device holds another account. Use “Forget this device” first.';
    case 'sign-out-this-device':
      return 'To sign this device out, use “Forget this device”.';
    case 'strength-unavailable':
      return 'The passphrase check could not be loaded. Check your connection and try again.';
  }
}

/** An error the app raises itself, carrying its code. */
export class AppError extends Error {
  readonly code: AppErrorCode;
  constructor(code: AppErrorCode, detail?: number) {
    super(appErrorText(code, detail));
    this.name = 'AppError';
    this.code = code;
  }
}

const fmt = (n: number) => new Intl.NumberFormat('en').format(n);

/**
 * Plain words for any error. Only errors this app words itself (AppError, BlockedError,
 * named protocol and key-file errors mapped by their screens) show their own message;
 * anything else, from the service or a library, gets a general sentence, never its text.
 */
export function plainError(e: unknown): string {
  if (e instanceof NetworkError) return 'The server cannot be reached. Check your connection and try again.';
  if (e instanceof ApiError) {
    if (API_ERRORS[e.code]) return API_ERRORS[e.code]!;
    if (e.code === 'invalid_request' || e.code === 'bad_request' || e.code === 'invalid_json') return 'The server could not accept that. Check what you typed and try again.';
    return 'The server refused that. Try again later.';
  }
  if (e instanceof BlockedError) return blockText(e.reason);
  if (e instanceof AppError) return e.message;
  if (e instanceof Error && e.name === 'UnknownUserError') return e.message;
  if (e instanceof Error && (e.name === 'RewrapError' || e.name === 'KeyFileError')) return e.message;
  return 'Something went wrong. Try again; if it keeps happening, reload the app.';
}
