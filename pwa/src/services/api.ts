// Typed client of the sync service (sync-service/API.md). Shared by the page and the
// service worker, so it depends on nothing but fetch. A network failure is its own error
// type: callers keep the message queued and try again later, nothing is lost.
// The bodies are protocol's HTTP types, the same ones the service and the benchmarks use.
import type {
  AccountChallengeResponse, AccountChangePurpose, AddEpochResponse, BatchResponse, ChallengeResponse, ConversationsResponse, CreateConversationResponse, EpochRecord, Envelope,
  DeviceCertificate, DeviceLogin, DeviceRevocation, KeyEntry, KeysResponse, LogPage, LoginResponse, PublicIdentity, RegisterResponse, RotateKeysRequest, SealedHandover, SyncPage,
} from '../../../protocol/src/index.ts';

export type { LogEntry } from '../../../protocol/src/index.ts';

/** One session of the account, as GET /sessions lists it (API.md). */
export interface SessionInfo {
  id: string;
  deviceName: string;
  /** The device the session was opened from (DEV12), null when its login named none. */
  deviceId?: string | null;
  createdAt: string;
  lastSeenAt: string | null;
  expiresAt: string;
  /** The session of the token that asked. */
  current: boolean;
}

export class NetworkError extends Error {
  constructor(message = 'The server cannot be reached.') {
    super(message);
    this.name = 'NetworkError';
  }
}

export class ApiError extends Error {
  status: number;
  code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export interface ApiOptions {
  /** Origin of the service, '' for the page's own origin. */
  baseUrl: string;
  token?: () => string | undefined;
  fetch?: typeof fetch;
}

export class Api {
  private readonly opts: ApiOptions;
  constructor(opts: ApiOptions) {
    this.opts = opts;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    const token = this.opts.token?.();
    if (token) headers.authorization = `Bearer ${token}`;
    let res: Response;
    try {
      const f = this.opts.fetch ?? fetch;
      res = await f(`${this.opts.baseUrl}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
    } catch {
      throw new NetworkError();
    }
    if (res.status === 204) return undefined as T;
    let json: unknown = null;
    try {
      json = await res.json();
    } catch {
      if (res.ok) throw new ApiError(res.status, 'bad_response', 'The server sent an answer that could not be read.');
    }
    if (!res.ok) {
      const err = (json as { error?: { code?: string; message?: string } } | null)?.error;
      // A gateway that cannot reach the service behaves like a network failure.
      if (res.status === 502 || res.status === 503 || res.status === 504) throw new NetworkError();
      throw new ApiError(res.status, err?.code ?? `http_${res.status}`, err?.message ?? `The server answered ${res.status}.`);
    }
    return json as T;
  }

  register(userName: string, identity: PublicIdentity, proof: string) {
    return this.call<RegisterResponse>('POST', '/users', { userName, identity, proof });
  }
  availability(userName: string) {
    return this.call<{ available: boolean }>('GET', `/users/${encodeURIComponent(userName)}/availability`);
  }
  challenge(userId: string, origin: string) {
    return this.call<ChallengeResponse>('POST', '/auth/challenge', { userId, origin });
  }
  /** `device`: this device's certificate and its key's proof (DEV12); a revoked device is 403 device_revoked (DEV13). */
  login(challengeId: string, proof: string, deviceName: string, device?: DeviceLogin) {
    return this.call<LoginResponse>('POST', '/auth/login', { challengeId, proof, deviceName, ...(device ? { device } : {}) });
  }
  logout() {
    return this.call<void>('POST', '/auth/logout');
  }
  /** A single-use challenge for a signed account change (ACCT1). */
  accountChallenge(purpose: AccountChangePurpose) {
    return this.call<AccountChallengeResponse>('POST', '/users/me/challenge', { purpose });
  }
  sessions() {
    return this.call<{ sessions: SessionInfo[] }>('GET', '/sessions');
  }
  /** ACCT3: revoking a session is a signed change, never the token alone. */
  revokeSession(sessionId: string, challengeId: string, signature: string) {
    return this.call<void>('DELETE', `/sessions/${encodeURIComponent(sessionId)}`, { challengeId, signature });
  }
  /** ACCT2: a key rotation signed by the current key over a 'rotate' challenge. */
  rotateKeys(body: RotateKeysRequest) {
    return this.call<KeyEntry>('POST', '/users/me/keys', body);
  }
  keys(userId: string) {
    return this.call<KeysResponse>('GET', `/users/${encodeURIComponent(userId)}/keys`);
  }
  /** DEV2: publish this device's certificate (signed by the account key). */
  publishDevice(certificate: DeviceCertificate) {
    return this.call<{ certificate: DeviceCertificate }>('POST', '/devices', { certificate });
  }
  /** DEV2, DEV8: a user's device certificates and revocations (untrusted: checked by the caller). */
  devices(userId: string) {
    return this.call<{ userId: string; certificates: DeviceCertificate[]; revocations: DeviceRevocation[] }>('GET', `/users/${encodeURIComponent(userId)}/devices`);
  }
  /** DEV8: withdraw one of this account's devices for good (the record is signed by the account key). */
  revokeDevice(deviceId: string, revocation: DeviceRevocation) {
    return this.call<{ revocation: DeviceRevocation; sessionsEnded: number }>('PUT', `/devices/${encodeURIComponent(deviceId)}/revocation`, { revocation });
  }
  /** HIST3: this account's epoch key archive, entries wrapped to its current key (owner only). */
  epochArchive(userId: string) {
    return this.call<{ entries: unknown[] }>('GET', `/users/${encodeURIComponent(userId)}/epoch-archive`);
  }
  /** HIST3: store archive entries (at most 256 a request), from a certified device's session; idempotent. */
  storeEpochArchive(userId: string, entries: unknown[]) {
    return this.call<{ stored: number }>('PUT', `/users/${encodeURIComponent(userId)}/epoch-archive`, { entries });
  }
  // Linking a device (protocol LINK1..LINK6; services/link.ts).
  createLink(publicKey: string) {
    return this.call<{ locator: string; token: string; expiresAt: string }>('POST', '/device-links', { publicKey });
  }
  lookupLink(locator: string) {
    return this.call<{ locator: string; publicKey: string; expiresAt: string }>('GET', `/device-links/${encodeURIComponent(locator)}`);
  }
  putLinkHandover(locator: string, handover: SealedHandover) {
    return this.call<void>('PUT', `/device-links/${encodeURIComponent(locator)}/handover`, { handover });
  }
  receiveLink(locator: string, token: string) {
    return this.call<{ status: 'waiting' | 'ready'; expiresAt: string; handover?: SealedHandover }>('POST', `/device-links/${encodeURIComponent(locator)}/receive`, { token });
  }
  createConversation(epochRecord: EpochRecord) {
    return this.call<CreateConversationResponse>('POST', '/conversations', { epochRecord });
  }
  /** Every conversation of mine, page after page (THREATS L3: the service answers at most 1,000 at a time). */
  async conversations(): Promise<ConversationsResponse> {
    const all: ConversationsResponse['conversations'] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.call<ConversationsResponse>('GET', `/conversations${after ? `?after=${encodeURIComponent(after)}` : ''}`);
      all.push(...page.conversations);
      if (!page.hasMore || !page.nextAfter) return { conversations: all };
      after = page.nextAfter;
    }
  }
  addEpoch(conversationId: string, epochRecord: EpochRecord) {
    return this.call<AddEpochResponse>('POST', `/conversations/${encodeURIComponent(conversationId)}/epochs`, { epochRecord });
  }
  batch(envelopes: Envelope[]) {
    return this.call<BatchResponse>('POST', '/messages/batch', { envelopes });
  }
  log(conversationId: string, after: number, limit = 500) {
    return this.call<LogPage>('GET', `/conversations/${encodeURIComponent(conversationId)}/log?after=${after}&limit=${limit}`);
  }
  /** THREATS L3: the service refuses new conversations from a blocked user that include us. */
  block(userId: string) {
    return this.call<{ userId: string; createdAt: string }>('POST', `/blocks/${encodeURIComponent(userId)}`);
  }
  blocks(after?: string) {
    return this.call<{ blocks: { userId: string; createdAt: string }[]; nextAfter: string | null }>('GET', `/blocks${after ? `?after=${encodeURIComponent(after)}` : ''}`);
  }
  unblock(userId: string) {
    return this.call<void>('DELETE', `/blocks/${encodeURIComponent(userId)}`);
  }
  /** One window of POST /sync (THREATS L3): the conversations in (after, until] from these cursors. */
  sync(cursors: Record<string, number>, limit?: number, window: { after?: string; until?: string } = {}) {
    return this.call<SyncPage>('POST', '/sync', { cursors, ...window, ...(limit ? { limit } : {}) });
  }
}
