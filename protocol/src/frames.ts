// Realtime WebSocket frames, both directions (sync-service/API.md "Realtime"): one union per
// direction keyed on `type`, each frame carrying the protocol version `v`. Decode at the
// boundary with decodeClientFrame / decodeServerFrame; an unknown type or a newer version is
// an explicit, named FrameError. Near-leaf: it imports only the rules module, so the server,
// the PWA, the tests and the benchmarks can all import it without pulling in the crypto protocol.

import { BASE64URL_RE, ID_RE, TYPING_MAX_SEALED_CHARS } from './rules.ts';

/** The version this code speaks. A frame with a higher `v` is refused with `unsupported_version`. */
export const FRAME_VERSION = 1;
type V = typeof FRAME_VERSION;

// ---- client → server -----------------------------------------------------------------------

/**
 * The first frame: the session token and, per conversation, the last seq the client holds.
 * It subscribes the first window of the caller's conversations (THREATS L3): every one up to
 * `until` (byte order of the ids, inclusive), or every one when `until` is absent.
 */
export interface AuthFrame { type: 'auth'; token: string; cursors: Record<string, number>; until?: string; v: V }
/**
 * After `ready`, while the previous window had an `until`: the next window, the conversations
 * in (after, until] (no `until`: all the rest) with the client's cursors for them. `after` must
 * be the previous window's `until`. Answered with `subscribed`.
 */
export interface SubscribeFrame { type: 'subscribe'; after: string; cursors: Record<string, number>; until?: string; v: V }
/** After `ready`: an application-level ping (answered with `pong`). */
export interface PingFrame { type: 'ping'; v: V }
/**
 * After `ready`: append one envelope, exactly as POST /api/v1/conversations/{id}/messages
 * (idempotent by its clientMessageId: sending it again after a lost answer is harmless).
 * `ref` is the client's name for this request, echoed in the answer: `sent`, `sendFailed`
 * or `retryLater`. The envelope is checked by the service (protocol's parser), not here.
 */
export interface SendFrame { type: 'send'; ref: string; envelope: Record<string, unknown>; v: V }
/** After `ready`: append up to MAX_SEND_BATCH envelopes, as POST /api/v1/messages/batch; answered with `sentBatch` or `retryLater`. */
export interface SendBatchFrame { type: 'sendBatch'; ref: string; envelopes: Record<string, unknown>[]; v: V }
/**
 * After `ready`: a typing signal (SPEC §8c), sealed by the client, for the other members'
 * sockets on every instance. Relayed, never stored; answered only when refused (`typingFailed`).
 */
export interface TypingFrame { type: 'typing'; conversationId: string; sealed: string; v: V }
export type ClientFrame = AuthFrame | SubscribeFrame | PingFrame | SendFrame | SendBatchFrame | TypingFrame;

// ---- server → client -----------------------------------------------------------------------

/** Authenticated: catch-up entries follow, then live ones. */
export interface ReadyFrame { type: 'ready'; v: V }
/** One log entry (the same fields as in GET …/log and POST /sync). */
export interface EntryFrame {
  type: 'entry';
  conversationId: string;
  seq: number;
  kind: 'epoch' | 'message';
  /** The signed epoch record or envelope, as stored; the client verifies it. */
  body: unknown;
  createdAt: string;
  v: V;
}
/** The caller was added to a conversation (its entries follow). */
export interface ConversationFrame { type: 'conversation'; conversationId: string; v: V }
export interface PongFrame { type: 'pong'; v: V }
/** A `subscribe` window is in place (its catch-up entries follow); `until` as in the request. */
export interface SubscribedFrame { type: 'subscribed'; until?: string; v: V }
export type ErrorFrameCode = 'unauthorized' | 'invalid_message' | 'unsupported_version';
/** unauthorized closes with 4401; invalid_message and unsupported_version as a first frame close with 4400. */
export interface ErrorFrame { type: 'error'; code: ErrorFrameCode; v: V }
/** A `send` is stored (or was already: `duplicate`) at `seq`. */
export interface SentFrame { type: 'sent'; ref: string; seq: number; duplicate: boolean; v: V }
/**
 * A `send` was refused for good, with the HTTP append's stable code (invalid_envelope,
 * envelope_too_large, sender_mismatch, not_found, client_id_conflict, unknown_epoch):
 * sending the same envelope again gets the same answer.
 */
export interface SendFailedFrame { type: 'sendFailed'; ref: string; code: string; message: string; v: V }
/** The answer to a `sendBatch`: one result per envelope, in request order (as POST /messages/batch). */
export interface SentBatchFrame { type: 'sentBatch'; ref: string; results: SentBatchResult[]; v: V }
export interface SentBatchResult {
  clientMessageId: string | null;
  conversationId: string | null;
  status: 'stored' | 'duplicate' | 'rejected';
  seq?: number;
  error?: { code: string; message: string };
}
/**
 * Nothing of the `send` / `sendBatch` named by `ref` was stored, and it may be sent again,
 * unchanged, after `retryAfterMs`: `overloaded` (the instance is storing as fast as it can:
 * HTTP's 503), `rate_limited` (the caller's append limit: HTTP's 429), `database_unavailable`
 * (HTTP's 503), `internal` (HTTP's 500).
 */
export interface RetryLaterFrame { type: 'retryLater'; ref: string; code: RetryLaterCode; retryAfterMs: number; v: V }
export type RetryLaterCode = 'overloaded' | 'rate_limited' | 'database_unavailable' | 'internal';
/** Another member's typing signal (SPEC §8c), as its client sealed it; the receiver opens and checks it (TYP3..TYP7). */
export interface TypingRelayFrame { type: 'typing'; conversationId: string; sealed: string; v: V }
/**
 * A `typing` frame was not relayed: `not_found` (the caller is not a member of that
 * conversation, or it does not exist). Frames over the rate limit are dropped without an answer.
 */
export interface TypingFailedFrame { type: 'typingFailed'; conversationId: string; code: TypingFailedCode; v: V }
export type TypingFailedCode = 'not_found';
export type ServerFrame =
  | ReadyFrame | EntryFrame | ConversationFrame | PongFrame | SubscribedFrame | ErrorFrame
  | SentFrame | SendFailedFrame | SentBatchFrame | RetryLaterFrame | TypingRelayFrame | TypingFailedFrame;

export type Frame = ClientFrame | ServerFrame;
/** A frame as written by a sender: `v` may be left to the encoder. */
export type FrameInit<F extends Frame> = F extends Frame ? Omit<F, 'v'> & { v?: V } : never;

// ---- errors --------------------------------------------------------------------------------

export type FrameErrorCode =
  /** Not JSON text, or not a JSON object. */
  | 'invalid_json'
  /** A `type` this direction does not have. */
  | 'unknown_type'
  /** A `v` above FRAME_VERSION: the peer is newer than this code. */
  | 'unsupported_version'
  /** A known type whose fields are missing, of the wrong kind, or unexpected. */
  | 'invalid_frame';

export class FrameError extends Error {
  constructor(readonly code: FrameErrorCode, message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

export type Decoded<F> = { ok: true; frame: F } | { ok: false; error: FrameError };

// ---- limits (the same as the HTTP API's) -----------------------------------------------------

/** A session token: 32 random bytes in base64url. */
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;
/** WIRE3: a conversation id (the one pattern, from the leaf rules module). */
const CONVERSATION_ID_RE = ID_RE;
/** Conversations named in one `auth` or `subscribe` frame. */
export const MAX_CURSORS = 10_000;
/**
 * Conversations a client names per window (THREATS L3): it sends its cursors in windows of
 * this many, in byte order of the ids, whatever the number of its conversations.
 */
export const CURSOR_WINDOW = 1000;
/** Envelopes in one `sendBatch` (as POST /api/v1/messages/batch). */
export const MAX_SEND_BATCH = 500;
/** A `ref`: the client's name for a request, echoed in its answer. */
const REF_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** One window of cursors: the conversations in (after, until] (see cursorWindows). */
export interface CursorWindow { after?: string; until?: string; cursors: Record<string, number> }

/**
 * A client's cursors cut into windows of at most `size` conversations, in byte order of the
 * ids (the order the service walks them in): each window's `after` is the previous one's
 * `until`; the last has no `until`. At least one window (empty when there are no cursors).
 */
export function cursorWindows(cursors: Record<string, number>, size: number = CURSOR_WINDOW): CursorWindow[] {
  const ids = Object.keys(cursors).sort();
  const out: CursorWindow[] = [];
  let after: string | undefined;
  for (let at = 0; at === 0 || at < ids.length; at += size) {
    const part = ids.slice(at, at + size);
    const last = at + size < ids.length ? part[part.length - 1] : undefined;
    const w: CursorWindow = { cursors: Object.fromEntries(part.map((id) => [id, cursors[id]!])) };
    if (after !== undefined) w.after = after;
    if (last !== undefined) w.until = last;
    out.push(w);
    after = last;
  }
  return out;
}

// ---- encoding ------------------------------------------------------------------------------

/**
 * A frame as JSON text: `type` first, then the fields, `v` last. Keeping `type` first lets a
 * reader that only needs to route (the benchmarks) look at the start of the text.
 */
export function encodeFrame(frame: FrameInit<Frame>): string {
  const { type, v: _v, ...fields } = frame as { type: string; v?: number } & Record<string, unknown>;
  return JSON.stringify({ type, ...fields, v: FRAME_VERSION });
}

/**
 * An entry frame from an entry already serialised as a JSON object (`{"seq":…,"kind":…,
 * "body":…,"createdAt":…}`): the server splices the stored body in without parsing it, and
 * builds this text once per entry for every socket it goes to.
 */
export function encodeEntryFrame(conversationId: string, entryJson: string): string {
  return `{"type":"entry","conversationId":${JSON.stringify(conversationId)},${entryJson.slice(1, -1)},"v":${FRAME_VERSION}}`;
}

// ---- decoding ------------------------------------------------------------------------------

type Fields = Record<string, unknown>;
/** Per type: check the fields other than `type` and `v`; return what is wrong, or null. */
type Check = (f: Fields) => string | null;

const isObject = (x: unknown): x is Fields => typeof x === 'object' && x !== null && !Array.isArray(x);
const isSeq = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

function only(f: Fields, allowed: string[]): string | null {
  for (const key of Object.keys(f)) if (key !== 'type' && key !== 'v' && !allowed.includes(key)) return `"${key}" is not allowed`;
  return null;
}

function checkCursors(c: unknown): string | null {
  if (!isObject(c)) return '"cursors" must be an object';
  const entries = Object.entries(c);
  if (entries.length > MAX_CURSORS) return `"cursors" may name at most ${MAX_CURSORS} conversations`;
  for (const [id, seq] of entries) {
    if (!CONVERSATION_ID_RE.test(id)) return '"cursors" has a key that is not a conversation id';
    if (!isSeq(seq)) return '"cursors" values must be sequence numbers';
  }
  return null;
}

const checkRef = (f: Fields): string | null => (typeof f.ref === 'string' && REF_RE.test(f.ref) ? null : '"ref" must be 1 to 64 letters, digits, "_" or "-"');

const checkUntil = (f: Fields): string | null =>
  f.until === undefined || (typeof f.until === 'string' && CONVERSATION_ID_RE.test(f.until)) ? null : '"until" must be a conversation id';

/** TYP3: a sealed signal: base64url text of at most TYPING_MAX_SEALED_CHARS characters. */
const checkTyping = (f: Fields): string | null => only(f, ['conversationId', 'sealed'])
  ?? (typeof f.conversationId === 'string' && CONVERSATION_ID_RE.test(f.conversationId) ? null : '"conversationId" must be a conversation id')
  ?? (typeof f.sealed === 'string' && f.sealed.length >= 1 && f.sealed.length <= TYPING_MAX_SEALED_CHARS && BASE64URL_RE.test(f.sealed)
    ? null : `"sealed" must be 1 to ${TYPING_MAX_SEALED_CHARS} base64url characters`);

const clientChecks: Record<ClientFrame['type'], Check> = {
  typing: checkTyping,
  auth: (f) => only(f, ['token', 'cursors', 'until'])
    ?? (typeof f.token === 'string' && TOKEN_RE.test(f.token) ? null : '"token" must be a session token')
    ?? (f.cursors === undefined ? null : checkCursors(f.cursors))
    ?? checkUntil(f),
  subscribe: (f) => only(f, ['after', 'cursors', 'until'])
    ?? (typeof f.after === 'string' && CONVERSATION_ID_RE.test(f.after) ? null : '"after" must be a conversation id')
    ?? (f.cursors === undefined ? null : checkCursors(f.cursors))
    ?? checkUntil(f)
    ?? (f.until === undefined || (f.until as string) > (f.after as string) ? null : '"until" must come after "after"'),
  ping: (f) => only(f, []),
  send: (f) => only(f, ['ref', 'envelope'])
    ?? checkRef(f)
    ?? (isObject(f.envelope) ? null : '"envelope" must be an object'),
  sendBatch: (f) => only(f, ['ref', 'envelopes'])
    ?? checkRef(f)
    ?? (Array.isArray(f.envelopes) && f.envelopes.length >= 1 && f.envelopes.length <= MAX_SEND_BATCH ? null : `"envelopes" must be an array of 1 to ${MAX_SEND_BATCH} envelopes`)
    ?? ((f.envelopes as unknown[]).every(isObject) ? null : '"envelopes" must hold objects'),
};

const serverChecks: Record<ServerFrame['type'], Check> = {
  typing: checkTyping,
  typingFailed: (f) => only(f, ['conversationId', 'code'])
    ?? (typeof f.conversationId === 'string' ? null : '"conversationId" must be a string')
    ?? (typeof f.code === 'string' ? null : '"code" must be a string'),
  ready: (f) => only(f, []),
  pong: (f) => only(f, []),
  subscribed: (f) => only(f, ['until']) ?? checkUntil(f),
  conversation: (f) => only(f, ['conversationId']) ?? (typeof f.conversationId === 'string' ? null : '"conversationId" must be a string'),
  error: (f) => only(f, ['code']) ?? (typeof f.code === 'string' ? null : '"code" must be a string'),
  entry: (f) => only(f, ['conversationId', 'seq', 'kind', 'body', 'createdAt'])
    ?? (typeof f.conversationId === 'string' ? null : '"conversationId" must be a string')
    ?? (isSeq(f.seq) && f.seq >= 1 ? null : '"seq" must be a positive integer')
    ?? (f.kind === 'epoch' || f.kind === 'message' ? null : '"kind" must be "epoch" or "message"')
    ?? ('body' in f ? null : '"body" is required')
    ?? (typeof f.createdAt === 'string' ? null : '"createdAt" must be a string'),
  sent: (f) => only(f, ['ref', 'seq', 'duplicate'])
    ?? checkRef(f)
    ?? (isSeq(f.seq) && f.seq >= 1 ? null : '"seq" must be a positive integer')
    ?? (typeof f.duplicate === 'boolean' ? null : '"duplicate" must be a boolean'),
  sendFailed: (f) => only(f, ['ref', 'code', 'message'])
    ?? checkRef(f)
    ?? (typeof f.code === 'string' && typeof f.message === 'string' ? null : '"code" and "message" must be strings'),
  sentBatch: (f) => only(f, ['ref', 'results'])
    ?? checkRef(f)
    ?? (Array.isArray(f.results) && f.results.every(isObject) ? null : '"results" must be an array of objects'),
  retryLater: (f) => only(f, ['ref', 'code', 'retryAfterMs'])
    ?? checkRef(f)
    ?? (typeof f.code === 'string' ? null : '"code" must be a string')
    ?? (isSeq(f.retryAfterMs) ? null : '"retryAfterMs" must be a whole number of ms'),
};

function decode<F extends Frame>(input: string | unknown, checks: Record<string, Check>): Decoded<F> {
  const fail = (code: FrameErrorCode, message: string): Decoded<F> => ({ ok: false, error: new FrameError(code, message) });
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      return fail('invalid_json', 'the frame is not JSON');
    }
  }
  if (!isObject(value)) return fail('invalid_json', 'a frame is a JSON object');
  // Version first: a newer peer may send types or fields this code does not know.
  // A frame without `v` is version 1 (clients written before frames were versioned).
  const v = value.v ?? 1;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) return fail('invalid_frame', '"v" must be a positive integer');
  if (v > FRAME_VERSION) return fail('unsupported_version', `frame version ${v} is newer than ${FRAME_VERSION}`);
  const type = value.type;
  if (typeof type !== 'string' || !Object.hasOwn(checks, type)) return fail('unknown_type', `unknown frame type ${JSON.stringify(type)?.slice(0, 40) ?? 'undefined'}`);
  const problem = checks[type]!(value);
  if (problem) return fail('invalid_frame', `${type}: ${problem}`);
  const frame = { ...value, v: FRAME_VERSION } as Fields;
  if ((type === 'auth' || type === 'subscribe') && frame.cursors === undefined) frame.cursors = {};
  return { ok: true, frame: frame as F };
}

/** A frame received by the server (text, or an already-parsed value). */
export function decodeClientFrame(input: string | unknown): Decoded<ClientFrame> {
  return decode<ClientFrame>(input, clientChecks);
}

/** A frame received by the client. */
export function decodeServerFrame(input: string | unknown): Decoded<ServerFrame> {
  return decode<ServerFrame>(input, serverChecks);
}
