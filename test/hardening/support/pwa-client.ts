// The PWA's own client code (pwa/src/services + pwa/src/stores) driven in Node: the
// real Engine (sealing, verifying, transcript), Directory (TOFU), outbox and
// flushOutbox, on fake-indexeddb. Only the page glue (Messenger, DOM, service worker)
// is left out; `pull` and `flush` are what Messenger does on its timers.
import 'fake-indexeddb/auto';
import { signLoginProof, signRegistration, type Identity } from '../../../protocol/src/index.ts';
import { Api, type LogEntry } from '../../../pwa/src/services/api.ts';
import { Directory } from '../../../pwa/src/services/directory.ts';
import { Engine, type IngestReport } from '../../../pwa/src/services/engine.ts';
import { flushOutbox, type FlushOutcome } from '../../../pwa/src/services/outbox-flush.ts';
import { saveSession } from '../../../pwa/src/stores/account.ts';
import { openDatabase, type Db } from '../../../pwa/src/stores/db.ts';

let counter = 0;

export class PwaClient {
  readonly api: Api;
  readonly directory: Directory;
  readonly engine: Engine;
  token: string | undefined;

  private constructor(
    readonly identity: Identity,
    readonly db: Db,
    readonly baseUrl: string,
    readonly origin: string,
    readonly fetchImpl: typeof fetch,
  ) {
    this.api = new Api({ baseUrl, token: () => this.token, fetch: fetchImpl });
    this.directory = new Directory(db, this.api);
    this.engine = new Engine({ db, api: this.api, directory: this.directory, identity });
  }

  /**
   * A device for `identity` talking to `baseUrl` (the service, or a lying proxy in
   * front of it). `fetchImpl` lets a test rewrite answers in flight.
   */
  static async create(identity: Identity, baseUrl: string, opts: { origin?: string; fetch?: typeof fetch } = {}): Promise<PwaClient> {
    const db = await openDatabase(`hardening-${identity.userId}-${process.pid}-${++counter}`);
    return new PwaClient(identity, db, baseUrl, opts.origin ?? baseUrl, opts.fetch ?? ((...a) => fetch(...a)));
  }

  async register(userName: string = this.identity.userId): Promise<void> {
    await this.api.register(userName, this.identity.public, await signRegistration(this.identity));
  }

  /** What Messenger.login does: sign our own origin, never one the server names (T1). */
  async login(): Promise<void> {
    const ch = await this.api.challenge(this.identity.userId, this.origin);
    const proof = await signLoginProof(this.identity, { nonce: ch.nonce, origin: this.origin });
    const s = await this.api.login(ch.challengeId, proof, 'hardening test');
    this.token = s.token;
    await saveSession(this.db, { token: s.token, sessionId: s.sessionId, userId: s.userId, expiresAt: s.expiresAt });
  }

  async cursors(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const c of await this.db.getAll('conversations')) out[c.conversationId] = c.lastSeq;
    return out;
  }

  /** What Messenger.pull does: sync from the cursors until nothing more, verifying everything. */
  async pull(): Promise<IngestReport> {
    const total: IngestReport = { processed: 0, toAcknowledge: new Map() };
    for (let page = 0; page < 10_000; page++) {
      const res = await this.api.sync(await this.cursors());
      const report = await this.engine.ingest(res.entries, { live: true, viewing: null });
      total.processed += report.processed;
      for (const [k, v] of report.toAcknowledge) total.toAcknowledge.set(k, [...(total.toAcknowledge.get(k) ?? []), ...v]);
      if (!res.hasMore || res.entries.length === 0) break;
    }
    return total;
  }

  /** Feed entries as the realtime socket would. */
  ingest(entries: LogEntry[]): Promise<IngestReport> {
    return this.engine.ingest(entries, { live: true, viewing: null });
  }

  flush(): Promise<FlushOutcome> {
    return flushOutbox(this.db, { baseUrl: this.baseUrl, fetch: this.fetchImpl });
  }

  close(): void {
    this.db.close();
  }
}
