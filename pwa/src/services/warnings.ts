// Reasons, not sentences: every integrity warning and every reason sending is paused is a
// value with a stable `code` (used as data-kind in the UI and by tests). The words the
// user reads live here, in one table per union, and nowhere else: code never compares
// or parses a sentence. (The pattern of tldraw's TLIncompatibilityReason.)
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

/** The words for a timeline event; `me` is the reader (shown as "you"). */
export function eventText(e: TimelineEvent, me: string): string {
  const name = (u: string) => (u === me ? 'you' : u);
  const by = e.by === me ? 'You' : e.by;
  switch (e.code) {
    case 'started': return `${by} started this conversation${e.with.length ? ` with ${e.with.map(name).join(', ')}` : ''}.`;
    case 'joined': return `${by} added you to this conversation. Earlier history was not shared with you.`;
    case 'member-added': return `${by} added ${name(e.userId)}.`;
    case 'member-removed': return `${by} removed ${name(e.userId)}.`;
    case 'member-left': return `${by} left the group.`;
    case 'key-changed':
      if (e.change === 'own') return 'You changed your keys after reporting a lost device. Your contacts see a notice.';
      if (e.change === 'rotation') {
        return `${e.userId} changed their keys on one of their own devices (signed with their previous key), for example after losing a phone. Messages are still end-to-end encrypted; nothing to do.`;
      }
      return e.userId === me ? 'Your key changed.' : `${e.userId}'s key changed.`;
    case 'rekeyed': return `${by} replaced the conversation keys.`;
    case 'device-added': return `${e.userId} linked a new device.`;
    case 'device-revoked': return `${e.userId} removed one of their devices.`;
    case 'group-created':
      return `${by} created the group${e.name ? ` “${e.name}”` : ''}${e.with.length ? ` with ${e.with.map(name).join(', ')}` : ''}.`;
  }
}

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

/** The words for a warning. */
export function warningText(w: Warning): string {
  const who = ('sender' in w && w.sender) || 'someone';
  switch (w.code) {
    case 'tampered': return `A message from ${who} was changed on the way and cannot be read.`;
    case 'bad-signature': return `A message claiming to be from ${who} is not signed by ${who}'s key. It is not shown.`;
    case 'unknown-sender': return `A message from an unknown sender (${who}) is not shown.`;
    case 'not-a-member': return `A message from ${who}, who is not a member of this conversation with that key, is not shown.`;
    case 'unknown-epoch': return `A message from ${who} uses conversation keys this device never received. It cannot be read.`;
    case 'wrong-conversation': return 'A message from another conversation was placed here. It is not shown.';
    case 'unsupported-version': return `A message from ${who} needs a newer version of MessageHub.`;
    case 'malformed': return 'A damaged message could not be read.';
    case 'gap': {
      const n = w.missing;
      return `${n} earlier message${n === 1 ? '' : 's'} from ${who} ${n === 1 ? 'is' : 'are'} missing: the server did not deliver ${n === 1 ? 'it' : 'them'}.`;
    }
    case 'replayed': return `A message from ${who} was delivered again (a replay). The copy is ignored.`;
    case 'reordered': return `This message from ${who} arrived later than the ones after it.`;
    case 'fork': return `This message from ${who} does not fit the messages already received from them: the history was altered.`;
    case 'sender-removed': return `A message from ${who}, who was removed from this conversation, is not shown.`;
    case 'sender-key-changed': return `A message signed with ${who}'s old key, which has since been replaced, is not shown.`;
    case 'signer-revoked': return `A message signed with a key of ${who} that was revoked is not shown.`;
    case 'stale-epoch': return `A message from ${who} uses conversation keys that were replaced too long ago. It is not shown.`;
    case 'bad-certificate': return `A message claiming to be from a device of ${who} is not vouched for by ${who}'s key. It is not shown.`;
    case 'revoked-device': return `A message from a device ${who} has reported lost or removed is not shown.`;
    case 'membership':
      if (w.problem === 'epoch-replayed') return 'A change of conversation keys was delivered again and ignored.';
      if (w.problem === 'epoch-key-mismatch') {
        return 'A change of conversation keys lists a member with a key this device has not accepted: their key may have changed. It is refused. Compare safety numbers with the members, then review it. Sending is paused until then.';
      }
      if (w.problem === 'epoch-conflict') return 'A second, different change of conversation keys was offered for the same step. It is refused. Sending is paused until you review it.';
      return `A change to who is in this conversation was refused: it is not validly signed by a member (${w.problem.replace(/^epoch-/, '')}). Sending is paused until you review it.`;
    case 'not-an-admin':
      return `${w.by ?? 'Someone'}, who is not an admin of this group, tried to change who is in it. The change is refused. Sending is paused until you review it.`;
    case 'rejected': return `Not sent: ${w.error ?? 'the server refused it'}.`;
    case 'not-archived': return 'Earlier messages could not be opened on this device.';
    case 'unknown': return `A message could not be verified (${w.problem}).`;
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

/**
 * The words for a contact's key that changed and waits for review (THREATS M2, L1), by
 * how the directory's history explains it (directory.ts `explainKeyChange`). Trust screens
 * name the user id, never a server-chosen display name (L10). Absent `change`: a change
 * recorded before the app told them apart, read as unexplained.
 */
export function keyChangeText(userId: string, change: KeyChangeKind | undefined): string {
  const paused = `Sending to ${userId} is paused. Compare safety numbers with ${userId} in person or by phone before you accept the new key.`;
  switch (change) {
    case 'rotation':
      return `${userId} rotated their key; it was signed by their previous key.`;
    case 'reset':
      return `${userId}'s account was reset: the new key is not signed by their previous key. A reset happens when someone has lost every device and their key file, but it is also what someone who took over the account or the server would do. ${paused}`;
    case 'forged-rotation':
      return `The server says ${userId} rotated their key, but the new key is not validly signed by their previous key. Someone may be trying to read your messages. ${paused}`;
    default:
      return `${userId}'s key changed with no signed record from their previous key. Restoring from a key file keeps the same key, so an unexplained change can be an attack: someone may be trying to read your messages. ${paused}`;
  }
}

/** The notice after a contact's signed rotation was followed (not a blocking alarm). */
export function rotationNotice(userId: string): string {
  return `${keyChangeText(userId, 'rotation')} Your safety number with ${userId} changed: compare it again to keep ${userId} verified.`;
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
