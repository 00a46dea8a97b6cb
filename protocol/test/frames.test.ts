import { describe, expect, it } from 'vitest';
import {
  CURSOR_WINDOW, FRAME_VERSION, FrameError, MAX_CURSORS, MAX_SEND_BATCH, cursorWindows, decodeClientFrame, decodeServerFrame, encodeEntryFrame, encodeFrame,
  type ClientFrame, type Decoded, type ServerFrame,
} from '../src/frames.ts';

const token = 'A'.repeat(43);

function errorOf<F>(d: Decoded<F>): FrameError {
  if (d.ok) throw new Error(`decoded: ${JSON.stringify(d.frame)}`);
  return d.error;
}

describe('realtime frames (API.md "Realtime")', () => {
  it('every frame round-trips through encodeFrame and the decoder of its direction, with v', () => {
    const client: ClientFrame[] = [
      { type: 'auth', token, cursors: { 'conv-1': 3, 'a.b:c@d-e': 0 }, v: 1 },
      { type: 'auth', token, cursors: { 'conv-1': 3 }, until: 'conv-1', v: 1 },
      { type: 'subscribe', after: 'conv-1', cursors: { 'conv-2': 1 }, until: 'conv-2', v: 1 },
      { type: 'subscribe', after: 'conv-2', cursors: {}, v: 1 },
      { type: 'ping', v: 1 },
      { type: 'send', ref: 'r-1', envelope: { v: 1, type: 'message' }, v: 1 },
      { type: 'sendBatch', ref: 'b_2', envelopes: [{ v: 1 }, { v: 1 }], v: 1 },
    ];
    const server: ServerFrame[] = [
      { type: 'ready', v: 1 },
      { type: 'entry', conversationId: 'conv-1', seq: 2, kind: 'message', body: { any: ['json'] }, createdAt: '2026-01-01T00:00:00.000Z', v: 1 },
      { type: 'conversation', conversationId: 'conv-1', v: 1 },
      { type: 'pong', v: 1 },
      { type: 'subscribed', until: 'conv-2', v: 1 },
      { type: 'subscribed', v: 1 },
      { type: 'error', code: 'unauthorized', v: 1 },
      { type: 'sent', ref: 'r-1', seq: 7, duplicate: false, v: 1 },
      { type: 'sendFailed', ref: 'r-1', code: 'invalid_envelope', message: 'envelope: no version', v: 1 },
      { type: 'sentBatch', ref: 'b_2', results: [{ clientMessageId: null, conversationId: null, status: 'rejected', error: { code: 'invalid_envelope', message: 'x' } }], v: 1 },
      { type: 'retryLater', ref: 'b_2', code: 'overloaded', retryAfterMs: 500, v: 1 },
    ];
    for (const f of client) expect(decodeClientFrame(encodeFrame(f))).toEqual({ ok: true, frame: f });
    for (const f of server) expect(decodeServerFrame(encodeFrame(f))).toEqual({ ok: true, frame: f });
  });

  it('L3 cursor windows: at most CURSOR_WINDOW ids each, in byte order, chained by after/until, the last open-ended', () => {
    expect(cursorWindows({})).toEqual([{ cursors: {} }]);
    const ids = Array.from({ length: 2 * CURSOR_WINDOW + 5 }, (_, i) => `c-${String(i).padStart(5, '0')}`).reverse();
    const windows = cursorWindows(Object.fromEntries(ids.map((id, i) => [id, i])));
    expect(windows.map((w) => Object.keys(w.cursors).length)).toEqual([CURSOR_WINDOW, CURSOR_WINDOW, 5]);
    expect(windows[0]!.after).toBeUndefined();
    expect(windows[1]!.after).toBe(windows[0]!.until);
    expect(windows[2]!.after).toBe(windows[1]!.until);
    expect(windows[2]!.until).toBeUndefined();
    for (const w of windows) for (const id of Object.keys(w.cursors)) {
      if (w.after !== undefined) expect(id > w.after).toBe(true);
      if (w.until !== undefined) expect(id <= w.until).toBe(true);
    }
    // Byte order, not locale order: '-' and '.' and upper case sort as their code points.
    expect(cursorWindows({ b: 0, 'a.z': 0, A: 0, 'a-z': 0 }, 2).map((w) => Object.keys(w.cursors))).toEqual([['A', 'a-z'], ['a.z', 'b']]);
  });

  it('a subscribe window names where it starts, and ends after it', () => {
    expect(errorOf(decodeClientFrame({ type: 'subscribe', cursors: {} })).code).toBe('invalid_frame');
    expect(errorOf(decodeClientFrame({ type: 'subscribe', after: 'b', until: 'a', cursors: {} })).code).toBe('invalid_frame');
    expect(errorOf(decodeClientFrame({ type: 'auth', token, until: 'not an id' })).code).toBe('invalid_frame');
    expect(decodeClientFrame({ type: 'subscribe', after: 'a' })).toEqual({ ok: true, frame: { type: 'subscribe', after: 'a', cursors: {}, v: 1 } });
  });

  it('encodes type first and v last (readers may route on the start of the text); v may be left to the encoder', () => {
    expect(encodeFrame({ type: 'ready' })).toBe(`{"type":"ready","v":${FRAME_VERSION}}`);
    expect(encodeFrame({ type: 'conversation', conversationId: 'c', v: 1 })).toBe('{"type":"conversation","conversationId":"c","v":1}');
  });

  it('an entry frame built from a pre-serialised entry is the same frame', () => {
    const entry = '{"seq":7,"kind":"epoch","body":{"x":[1,"é"]},"createdAt":"2026-01-01T00:00:00.000Z"}';
    const text = encodeEntryFrame('conv-1', entry);
    expect(text.startsWith('{"type":"entry","conversationId":"conv-1","seq":7,')).toBe(true);
    expect(decodeServerFrame(text)).toEqual({
      ok: true,
      frame: { type: 'entry', conversationId: 'conv-1', seq: 7, kind: 'epoch', body: { x: [1, 'é'] }, createdAt: '2026-01-01T00:00:00.000Z', v: 1 },
    });
  });

  it('a frame without v is version 1; auth without cursors has none', () => {
    expect(decodeClientFrame(JSON.stringify({ type: 'auth', token }))).toEqual({ ok: true, frame: { type: 'auth', token, cursors: {}, v: 1 } });
    expect(decodeServerFrame('{"type":"pong"}')).toEqual({ ok: true, frame: { type: 'pong', v: 1 } });
  });

  it('a newer version is unsupported_version, whatever its type or fields', () => {
    for (const text of ['{"type":"ping","v":2}', '{"type":"auth","token":"x","v":2}', '{"type":"hello-from-v9","v":9}']) {
      const e = errorOf(decodeClientFrame(text));
      expect(e).toBeInstanceOf(FrameError);
      expect(e.code).toBe('unsupported_version');
    }
    expect(errorOf(decodeServerFrame('{"type":"entry","v":2}')).code).toBe('unsupported_version');
  });

  it('an unknown type is unknown_type, also a type of the other direction', () => {
    expect(errorOf(decodeClientFrame('{"type":"unsubscribe","v":1}')).code).toBe('unknown_type');
    expect(errorOf(decodeClientFrame('{"type":"subscribed","v":1}')).code).toBe('unknown_type');
    expect(errorOf(decodeServerFrame('{"type":"subscribe","after":"a","v":1}')).code).toBe('unknown_type');
    expect(errorOf(decodeClientFrame('{"v":1}')).code).toBe('unknown_type');
    expect(errorOf(decodeClientFrame('{"type":"__proto__"}')).code).toBe('unknown_type');
    expect(errorOf(decodeClientFrame('{"type":"ready","v":1}')).code).toBe('unknown_type');
    expect(errorOf(decodeServerFrame('{"type":"auth","v":1}')).code).toBe('unknown_type');
  });

  it('text that is not a JSON object is invalid_json', () => {
    for (const text of ['', '{', 'null', '[]', '"auth"', '42']) expect(errorOf(decodeClientFrame(text)).code).toBe('invalid_json');
  });

  it('bad fields and bad versions are invalid_frame', () => {
    const bad = [
      { type: 'auth', token: 'short' },
      { type: 'auth', token, cursors: [] },
      { type: 'auth', token, cursors: { 'conv 1': 0 } },
      { type: 'auth', token, cursors: { c: -1 } },
      { type: 'auth', token, cursors: { c: '1' } },
      { type: 'auth', token, cursors: { c: 1.5 } },
      { type: 'auth', token, cursors: Object.fromEntries(Array.from({ length: MAX_CURSORS + 1 }, (_, i) => [`c${i}`, 0])) },
      { type: 'auth', token, extra: true },
      { type: 'ping', extra: 1 },
      { type: 'ping', v: 0 },
      { type: 'ping', v: '1' },
      { type: 'ping', v: 1.5 },
    ];
    for (const f of bad) expect(errorOf(decodeClientFrame(JSON.stringify(f))).code, JSON.stringify(f).slice(0, 80)).toBe('invalid_frame');
    const badServer = [
      { type: 'entry', conversationId: 'c', seq: 0, kind: 'message', body: {}, createdAt: 'x' },
      { type: 'entry', conversationId: 'c', seq: 1, kind: 'other', body: {}, createdAt: 'x' },
      { type: 'entry', conversationId: 'c', seq: 1, kind: 'message', createdAt: 'x' },
      { type: 'conversation' },
      { type: 'error', code: 3 },
    ];
    for (const f of badServer) expect(errorOf(decodeServerFrame(JSON.stringify(f))).code, JSON.stringify(f)).toBe('invalid_frame');
  });

  it('send frames: a ref of 1 to 64 safe characters, an envelope object, 1 to MAX_SEND_BATCH envelopes', () => {
    const bad: unknown[] = [
      { type: 'send', envelope: {} },
      { type: 'send', ref: '', envelope: {} },
      { type: 'send', ref: 'x'.repeat(65), envelope: {} },
      { type: 'send', ref: 'a b', envelope: {} },
      { type: 'send', ref: 'r', envelope: 'text' },
      { type: 'send', ref: 'r', envelope: [] },
      { type: 'send', ref: 'r', envelope: {}, extra: 1 },
      { type: 'sendBatch', ref: 'r', envelopes: [] },
      { type: 'sendBatch', ref: 'r', envelopes: Array.from({ length: MAX_SEND_BATCH + 1 }, () => ({})) },
      { type: 'sendBatch', ref: 'r', envelopes: [{}, 3] },
    ];
    for (const f of bad) expect([f, errorOf(decodeClientFrame(f)).code]).toEqual([f, 'invalid_frame']);
    expect(decodeClientFrame({ type: 'sendBatch', ref: 'r', envelopes: Array.from({ length: MAX_SEND_BATCH }, () => ({})) }).ok).toBe(true);
  });

  it('accepts an already-parsed value as well as text', () => {
    expect(decodeClientFrame({ type: 'ping' })).toEqual({ ok: true, frame: { type: 'ping', v: 1 } });
  });
});
