// A small Node client of the sync service API (sync-service/API.md) for seeding and
// load: keep-alive HTTP on 127.0.0.1, JSON in and out, typed errors with the stable code.
// Registering and logging in are the shared test client's steps (test/support/service.ts)
// over this client's connections.
import http from 'node:http';
import type {
  AppendMessageResponse, BatchResponse, BatchResult, CreateConversationResponse, EpochRecord, Envelope, Identity,
} from '../../protocol/src/index.ts';
import { login, register, type Answer, type Requester } from '../../test/support/service.ts';

export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(`${status} ${code}: ${message}`);
    this.name = 'HttpError';
  }
}

export class ApiClient {
  readonly agent: http.Agent;
  private readonly host = '127.0.0.1';

  constructor(readonly port: number, readonly origin: string, maxSockets = 64) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  /** One request to a full path (`/api/v1/...`), whatever its status. */
  raw(method: string, path: string, body?: unknown, token?: string, timeoutMs = 60_000): Promise<Answer> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = {};
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    if (token) headers.authorization = `Bearer ${token}`;
    return new Promise((resolve, reject) => {
      const req = http.request({ host: this.host, port: this.port, method, path, headers, agent: this.agent, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: any = null;
          try {
            json = text ? JSON.parse(text) : null;
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, json, payload: text, headers: res.headers });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** This client as a requester for the shared test client's steps. */
  readonly req: Requester = (method, url, opts = {}) => this.raw(method, url, opts.payload, opts.token);

  /** A request under `/api/v1`; an answer of 400 or more is thrown as an HttpError. */
  async request<T>(method: string, path: string, body?: unknown, token?: string, timeoutMs = 60_000): Promise<{ status: number; json: T }> {
    const a = await this.raw(method, `/api/v1${path}`, body, token, timeoutMs);
    if (a.status >= 400) throw new HttpError(a.status, a.json?.error?.code ?? `http_${a.status}`, a.json?.error?.message ?? a.payload.slice(0, 200));
    return { status: a.status, json: a.json as T };
  }

  register(identity: Identity, userName = identity.userId): Promise<void> {
    return register(this.req, identity, userName);
  }

  async login(identity: Identity, deviceName = 'bench'): Promise<string> {
    return (await login(this.req, identity, { origin: this.origin, deviceName })).token;
  }

  async createConversation(token: string, epochRecord: EpochRecord): Promise<number> {
    return (await this.request<CreateConversationResponse>('POST', '/conversations', { epochRecord }, token)).json.seq;
  }

  async append(token: string, envelope: Envelope): Promise<number> {
    const path = `/conversations/${encodeURIComponent(envelope.conversationId)}/messages`;
    return (await this.request<AppendMessageResponse>('POST', path, { envelope }, token)).json.seq;
  }

  async batch(token: string, envelopes: Envelope[]): Promise<BatchResult[]> {
    return (await this.request<BatchResponse>('POST', '/messages/batch', { envelopes }, token)).json.results;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Run `fn` over items with at most `limit` in flight. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
