// Plain words for every integrity problem the client can notice (THREATS).
// `kind` is stable and used as data-kind in the UI and by tests.
export interface WarningText {
  kind: string;
  text: string;
}

export function describeProblem(problem: string, ctx: { sender?: string; missing?: number; seq?: number } = {}): WarningText {
  const who = ctx.sender && ctx.sender !== '?' ? ctx.sender : 'someone';
  switch (problem) {
    case 'tampered':
      return { kind: 'tampered', text: `A message from ${who} was changed on the way and cannot be read.` };
    case 'bad-signature':
      return { kind: 'bad-signature', text: `A message claiming to be from ${who} is not signed by ${who}'s key. It is not shown.` };
    case 'unknown-sender':
      return { kind: 'unknown-sender', text: `A message from an unknown sender (${who}) is not shown.` };
    case 'not-a-member':
      return { kind: 'not-a-member', text: `A message from ${who}, who is not a member of this conversation with that key, is not shown.` };
    case 'unknown-epoch':
      return { kind: 'unknown-epoch', text: `A message from ${who} uses conversation keys this device never received. It cannot be read.` };
    case 'wrong-conversation':
      return { kind: 'wrong-conversation', text: `A message from another conversation was placed here. It is not shown.` };
    case 'unsupported-version':
      return { kind: 'unsupported-version', text: `A message from ${who} needs a newer version of MessageHub.` };
    case 'malformed':
      return { kind: 'malformed', text: `A damaged message could not be read.` };
    case 'gap': {
      const n = ctx.missing ?? 1;
      return { kind: 'gap', text: `${n} earlier message${n === 1 ? '' : 's'} from ${who} ${n === 1 ? 'is' : 'are'} missing: the server did not deliver ${n === 1 ? 'it' : 'them'}.` };
    }
    case 'replayed':
      return { kind: 'replayed', text: `A message from ${who} was delivered again (a replay). The copy is ignored.` };
    case 'reordered':
      return { kind: 'reordered', text: `This message from ${who} arrived later than the ones after it.` };
    case 'fork':
      return { kind: 'fork', text: `This message from ${who} does not fit the messages already received from them: the history was altered.` };
    case 'epoch-replayed':
      return { kind: 'membership', text: 'A change of conversation keys was delivered again and ignored.' };
    default:
      if (problem.startsWith('epoch-')) {
        return { kind: 'membership', text: `A change to who is in this conversation was refused: it is not validly signed by a member (${problem.slice(6)}). Sending is paused until you review it.` };
      }
      return { kind: problem, text: `A message could not be verified (${problem}).` };
  }
}
