// Realtime clients for load: authenticate on /api/v1/ws and report pushed entries
// with their arrival time, parsing only what is needed to recognise them.
import WebSocket from 'ws';

export interface Pushed { conversationId: string; seq: number; at: number; text: string }

export interface RealtimeClient {
  ws: WebSocket;
  ready: Promise<void>;
  close(): void;
  /**
   * Append one envelope over this socket (`send` frame): resolves with the answer frame,
   * `sent` ({ seq }) or `retryLater` ({ retryAfterMs }) or `sendFailed` ({ code }).
   */
  send(envelope: object): Promise<SendAnswer>;
}

export type SendAnswer =
  | { type: 'sent'; seq: number; duplicate: boolean }
  | { type: 'retryLater'; code: string; retryAfterMs: number }
  | { type: 'sendFailed'; code: string; message: string };

const SEQ = /"type":"entry","conversationId":"([^"]+)","seq":(\d+)/;
const ANSWER = /^\{"type":"(sent|retryLater|sendFailed)","ref":"([^"]+)"/;

export function connectRealtime(
  port: number,
  origin: string,
  token: string,
  cursors: Record<string, number>,
  onEntry: (p: Pushed) => void,
  timeoutMs = 30_000,
): RealtimeClient {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/ws`, { origin, perMessageDeflate: false, handshakeTimeout: timeoutMs });
  const waiting = new Map<string, (a: SendAnswer) => void>();
  let nextRef = 0;
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('realtime: no "ready" in time')), timeoutMs);
    ws.once('open', () => ws.send(JSON.stringify({ type: 'auth', token, cursors })));
    ws.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    ws.once('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`realtime: closed with ${code} before "ready"`));
    });
    ws.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      const answer = ANSWER.exec(text.slice(0, 80));
      if (answer) {
        const resolve = waiting.get(answer[2]!);
        waiting.delete(answer[2]!);
        resolve?.(JSON.parse(text) as SendAnswer);
        return;
      }
      const m = SEQ.exec(text.slice(0, 200));
      if (m) {
        onEntry({ conversationId: m[1]!, seq: Number(m[2]), at: performance.now(), text });
        return;
      }
      if (text.startsWith('{"type":"ready"')) {
        clearTimeout(timer);
        resolve();
      } else if (text.includes('"type":"error"')) {
        clearTimeout(timer);
        reject(new Error(`realtime: ${text}`));
      }
    });
  });
  ready.catch(() => undefined);
  const send = (envelope: object): Promise<SendAnswer> => new Promise((resolve, reject) => {
    if (ws.readyState !== WebSocket.OPEN) return reject(new Error('realtime: socket not open'));
    const ref = `s${++nextRef}`;
    waiting.set(ref, resolve);
    ws.send(`{"type":"send","ref":"${ref}","envelope":${JSON.stringify(envelope)},"v":1}`);
  });
  ws.on('close', () => {
    for (const r of waiting.values()) r({ type: 'sendFailed', code: 'socket_closed', message: 'the socket closed' });
    waiting.clear();
  });
  return { ws, ready, close: () => ws.terminate(), send };
}
