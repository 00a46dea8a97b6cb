// The words for integrity warnings, timeline events and key changes (the tables of
// warnings.ts that only the conversation, contact and restore screens show): apart from
// warnings.ts so that they load with those lazy screens, not in the start chunk (issue 18).
// Same rule as warnings.ts: code never compares or parses these sentences.
import type { KeyChangeKind } from '../stores/db.ts';
import type { TimelineEvent, Warning } from './warnings.ts';

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

/** An edit emptied on purpose is not sent: how to remove a message instead. */
export const EDIT_EMPTY_TEXT = 'An edit needs some text. To remove the message, use “Delete for everyone” in its menu.';
