// Realtime WebSocket frames, both directions (sync-service/API.md "Realtime"): one union per
// direction keyed on `type`, each frame carrying the protocol version `v`. Decode at the
// boundary with decodeClientFrame / decodeServerFrame; an unknown type or a newer version is
// an explicit, named FrameError. Near-leaf: it imports only the rules module, so the server,
// the PWA, the tests and the benchmarks can all import it without pulling in the crypto protocol.

import { ID_RE } from './rules.ts';

/** The version this code speaks. A frame with a higher `v` is refused with `unsupported_version`. */
export const FRAME_VERSION = 1;
type V = typeof FRAME_VERSION;

// ---- client → server -----------------------------------------------------------------------

/** The first frame: the session token and, per conversation, the last seq the client holds. */
export interface AuthFrame { type: 'auth'; token: string; cursors: Record<string, number>; v: V }
/** After `ready`: an application-level ping (answered with `pong`). */
export interface PingFrame { type: 'ping'; v: V }
export type ClientFrame = AuthFrame | PingFrame;

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
export type ErrorFrameCode = 'unauthorized' | 'invalid_message' | 'unsupported_version';
/** unauthorized closes with 4401; invalid_message and unsupported_version as a first frame close with 4400. */
export interface ErrorFrame { type: 'error'; code: ErrorFrameCode; v: V }
export type ServerFrame = ReadyFrame | EntryFrame | ConversationFrame | PongFrame | ErrorFrame;

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
/** Conversations named in one `auth` frame. */
export const MAX_CURSORS = 10_000;

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

const clientChecks: Record<ClientFrame['type'], Check> = {
  auth: (f) => only(f, ['token', 'cursors'])
    ?? (typeof f.token === 'string' && TOKEN_RE.test(f.token) ? null : '"token" must be a session token')
    ?? (f.cursors === undefined ? null : checkCursors(f.cursors)),
  ping: (f) => only(f, []),
};

const serverChecks: Record<ServerFrame['type'], Check> = {
  ready: (f) => only(f, []),
  pong: (f) => only(f, []),
  conversation: (f) => only(f, ['conversationId']) ?? (typeof f.conversationId === 'string' ? null : '"conversationId" must be a string'),
  error: (f) => only(f, ['code']) ?? (typeof f.code === 'string' ? null : '"code" must be a string'),
  entry: (f) => only(f, ['conversationId', 'seq', 'kind', 'body', 'createdAt'])
    ?? (typeof f.conversationId === 'string' ? null : '"conversationId" must be a string')
    ?? (isSeq(f.seq) && f.seq >= 1 ? null : '"seq" must be a positive integer')
    ?? (f.kind === 'epoch' || f.kind === 'message' ? null : '"kind" must be "epoch" or "message"')
    ?? ('body' in f ? null : '"body" is required')
    ?? (typeof f.createdAt === 'string' ? null : '"createdAt" must be a string'),
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
  if (type === 'auth' && frame.cursors === undefined) frame.cursors = {};
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
