// A WebSocket client of the service for tests: every message kept, taken in order by `next(pred)`.
import WebSocket from 'ws';

export interface WsClient {
  ws: WebSocket;
  messages: any[];
  /** Resolves with the first message (from the start) matching `pred` not yet taken. */
  next(pred?: (m: any) => boolean, timeoutMs?: number): Promise<any>;
  closed: Promise<{ code: number; reason: string }>;
}

/** The realtime endpoint of a test service listening on a port (startApp({ listen: true })). */
export function wsUrl(app: { server: { info: { port: number | string } } }): string {
  return `ws://127.0.0.1:${app.server.info.port}/api/v1/ws`;
}

export function openWs(url: string, origin: string | undefined): Promise<WsClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin ? { origin } : {});
    const messages: any[] = [];
    const taken = new Set<number>();
    let waiters: (() => void)[] = [];
    ws.on('message', (data) => {
      messages.push(JSON.parse(data.toString()));
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    });
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { statusCode: res.statusCode })));
    ws.once('error', (e) => reject(e));
    ws.once('open', () => {
      resolve({
        ws,
        messages,
        closed,
        next(pred = () => true, timeoutMs = 15_000) {
          return new Promise((res, rej) => {
            const timer = setTimeout(() => rej(new Error(`no matching message in ${timeoutMs} ms; got ${JSON.stringify(messages).slice(0, 500)}`)), timeoutMs);
            const check = () => {
              const i = messages.findIndex((m, k) => !taken.has(k) && pred(m));
              if (i >= 0) {
                taken.add(i);
                clearTimeout(timer);
                res(messages[i]);
              } else waiters.push(check);
            };
            check();
          });
        },
      });
    });
  });
}

/** A socket that has authenticated with `token` at `cursors` and been answered "ready". */
export async function subscribe(url: string, origin: string, token: string, cursors: Record<string, number> = {}): Promise<WsClient> {
  const client = await openWs(url, origin);
  client.ws.send(JSON.stringify({ type: 'auth', token, cursors }));
  await client.next((m) => m.type === 'ready');
  return client;
}
