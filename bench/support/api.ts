// A small Node client of the sync service API (sync-service/API.md) for seeding and
// load: keep-alive HTTP on 127.0.0.1, JSON in and out, typed errors with the stable code.
import http from 'node:http';
import {
  signLoginProof, signRegistration, type AppendMessageResponse, type BatchResponse, type BatchResult, type ChallengeResponse,
  type CreateConversationResponse, type EpochRecord, type Envelope, type Identity, type LoginResponse,
} from '../../protocol/src/index.ts';

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

  request<T>(method: string, path: string, body?: unknown, token?: string, timeoutMs = 60_000): Promise<{ status: number; json: T }> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = {};
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    if (token) headers.authorization = `Bearer ${token}`;
    return new Promise((resolve, reject) => {
      const req = http.request({ host: this.host, port: this.port, method, path: `/api/v1${path}`, headers, agent: this.agent, timeout: timeoutMs }, (res) => {
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
          const status = res.statusCode ?? 0;
          if (status >= 400) reject(new HttpError(status, json?.error?.code ?? `http_${status}`, json?.error?.message ?? text.slice(0, 200)));
          else resolve({ status, json });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  async register(identity: Identity, userName = identity.userId): Promise<void> {
    await this.request('POST', '/users', { userName, identity: identity.public, proof: await signRegistration(identity) });
  }

  async login(identity: Identity, deviceName = 'bench'): Promise<string> {
    const { json: ch } = await this.request<ChallengeResponse>('POST', '/auth/challenge', { userId: identity.userId, origin: this.origin });
    const proof = await signLoginProof(identity, { nonce: ch.nonce, origin: this.origin });
    const { json } = await this.request<LoginResponse>('POST', '/auth/login', { challengeId: ch.challengeId, proof, deviceName });
    return json.token;
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
