// The application's state and intents, handed to components through @lit/context.
// It owns the database handle, the API client, the engine, the realtime connection
// and the outbox runner for one signed-in device; nothing here is a module global.
import { fingerprint, safetyNumber, signLoginProof, signRegistration, type Identity } from '../../../protocol/src/index.ts';
import { clearSession, loadIdentity, loadSession, markKeyFileConfirmed, saveIdentity, saveSession } from '../stores/account.ts';
import { acceptPendingKey, allContacts, getContact, setVerified } from '../stores/contacts.ts';
import { deleteDatabase, openDatabase, type ContactRow, type Db, type IdentityRow, type SessionRow } from '../stores/db.ts';
import { getConversation, listConversations, updateConversation } from '../stores/conversations.ts';
import { countEntries, getLog } from '../stores/log.ts';
import { allOutbox } from '../stores/outbox.ts';
import { Api, ApiError, NetworkError, type LogEntry } from './api.ts';
import { Directory } from './directory.ts';
import { Engine, type ConversationSummary, type MessageView } from './engine.ts';
import { flushOutbox } from './outbox-flush.ts';
import { OutboxRunner } from './outbox-runner.ts';
import { Realtime, type ConnectionState } from './realtime.ts';
import { describeProblem } from './warnings.ts';

export type Phase = 'loading' | 'welcome' | 'ready' | 'failed';

export interface RestoreProgress {
  stage: 'key-file' | 'login' | 'history' | 'done';
  done: number;
  total: number;
}

export interface RestoreSummary {
  conversations: number;
  messages: number;
  failed: { reason: string; count: number }[];
}

export interface PendingAccount {
  userName: string;
  identity: Identity;
  keyFile: string;
}

/** Plain words for errors the user can act on. */
export function plainError(e: unknown): string {
  if (e instanceof NetworkError) return 'The server cannot be reached. Check your connection and try again.';
  if (e instanceof ApiError) {
    if (e.code === 'user_name_taken') return 'That user name is taken. Choose another one.';
    if (e.code === 'rate_limited') return 'Too many attempts. Wait a minute and try again.';
    return e.message;
  }
  if (e instanceof Error && e.message) return e.message;
  return 'Something went wrong.';
}

const DEVICE_NAME = 'MessageHub on the web';

export class Messenger extends EventTarget {
  phase: Phase = 'loading';
  connection: ConnectionState = 'offline';
  me: IdentityRow | null = null;
  summaries: ConversationSummary[] = [];
  previews = new Map<string, string | null>();
  viewing: string | null = null;
  persisted: boolean | null = null;
  /** A new version of the app is waiting; reloading activates it. */
  updateReady: (() => void) | null = null;
  lastFlush: { ok: boolean; reason?: string; at: number } | null = null;
  fatal: string | null = null;

  readonly origin: string;
  private db: Db | null = null;
  private readonly api: Api;
  private session: SessionRow | null = null;
  private identity: Identity | null = null;
  private engine: Engine | null = null;
  private directory: Directory | null = null;
  private realtime: Realtime | null = null;
  private runner: OutboxRunner | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private restoring = false;
  private relogging: Promise<void> | null = null;

  constructor(origin: string) {
    super();
    this.origin = origin;
    this.api = new Api({ baseUrl: '', token: () => this.session?.token });
  }

  /** main.ts reports a waiting service worker; the banner offers to activate it. */
  offerUpdate(apply: (() => void) | null): void {
    this.updateReady = apply;
    this.changed();
  }

  private changed(): void {
    this.dispatchEvent(new Event('change'));
  }

  // ---- start ----------------------------------------------------------------------

  /** Opens local state only: the app is usable offline before any network answer. */
  async start(): Promise<void> {
    try {
      this.db = await openDatabase(undefined, {
        // A newer version in another tab upgrades the database: step aside, never run on a closed one.
        versionchange: () => {
          this.db?.close();
          this.realtime?.stop();
          this.runner?.stop();
          this.phase = 'failed';
          this.fatal = 'MessageHub was updated in another tab. Reload this page to continue.';
          this.changed();
        },
      });
      const row = await loadIdentity(this.db);
      if (!row) {
        this.phase = 'welcome';
        this.changed();
        return;
      }
      this.me = row;
      this.identity = { userId: row.userId, public: row.public, encryption: row.encryption, signing: row.signing };
      this.session = (await loadSession(this.db)) ?? null;
      this.wire();
      this.phase = 'ready';
      await this.refreshSummaries(false);
      this.changed();
      this.goOnline();
      void this.refreshPreviews();
    } catch (e) {
      this.phase = 'failed';
      this.fatal = `MessageHub could not open its storage on this device: ${plainError(e)}`;
      this.changed();
    }
  }

  private wire(): void {
    const db = this.db!;
    this.directory = new Directory(db, this.api);
    this.engine = new Engine({ db, api: this.api, directory: this.directory, identity: this.identity! });
    this.runner = new OutboxRunner(
      () => flushOutbox(db, { baseUrl: '' }),
      (o) => {
        this.lastFlush = { ok: o.ok, reason: o.ok ? undefined : o.reason, at: Date.now() };
        if (!o.ok && o.reason === 'unauthorized') void this.relogin().then(() => this.runner?.kick(), () => undefined);
        if (!o.ok && o.reason === 'no-session') void this.relogin().then(() => this.runner?.kick(), () => undefined);
        if (o.sent > 0 || !o.ok) void this.refreshSummaries(true);
      },
    );
    this.realtime = new Realtime({
      url: `${this.origin.replace(/^http/, 'ws')}/api/v1/ws`,
      token: () => this.session?.token,
      cursors: () => this.cursors(),
      onEntry: (e) => this.onLiveEntry(e),
      onReady: () => {
        this.runner?.kick();
        void this.checkContacts();
      },
      onConversation: () => void this.enqueue(() => this.pull({ live: true })),
      onState: (s) => {
        this.connection = s;
        this.changed();
      },
      onUnauthorized: () => void this.relogin().then(() => this.realtime?.reconnectNow(), () => undefined),
    });
    navigator.serviceWorker?.addEventListener('message', (ev) => {
      if ((ev.data as { type?: string })?.type === 'outbox-flushed') void this.refreshSummaries(true);
    });
  }

  private goOnline(): void {
    this.runner?.start();
    if (this.session) this.realtime?.start();
    else void this.relogin().then(() => this.realtime?.start(), () => undefined);
    void this.requestPersistence();
  }

  private async cursors(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const c of await listConversations(this.db!)) out[c.conversationId] = c.lastSeq;
    return out;
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  // ---- session --------------------------------------------------------------------

  private async login(identity: Identity): Promise<SessionRow> {
    const ch = await this.api.challenge(identity.userId, this.origin);
    // Sign our own origin, never one the server names (T1).
    const proof = await signLoginProof(identity, { nonce: ch.nonce, origin: this.origin });
    const s = await this.api.login(ch.challengeId, proof, DEVICE_NAME);
    const row = { token: s.token, sessionId: s.sessionId, userId: s.userId, expiresAt: s.expiresAt };
    await saveSession(this.db!, row);
    this.session = { ...row, id: 'current' };
    return this.session;
  }

  /** A new login with the device's keys, when the token expired or was never obtained. */
  private relogin(): Promise<void> {
    if (!this.identity) return Promise.reject(new Error('signed out'));
    this.relogging ??= this.login(this.identity)
      .then(() => undefined)
      .finally(() => {
        this.relogging = null;
      });
    return this.relogging;
  }

  // ---- onboarding -----------------------------------------------------------------

  /**
   * Step 1: is the name well formed? (Whether it is free is only known at registration:
   * the directory answers signed-in users only.)
   */
  checkUserName(userName: string): void {
    const userId = userName.trim().toLowerCase();
    if (!/^[a-z0-9](?:[a-z0-9._-]{1,30}[a-z0-9])$/.test(userId)) {
      throw new Error('A user name has 3 to 32 letters, digits, dots, dashes or underscores, and starts and ends with a letter or digit.');
    }
  }

  /** Step 2: make the keys and the key file (Argon2id runs here), nothing stored yet. */
  async generateAccount(userName: string, passphrase: string, onProgress: (stage: string, fraction: number) => void): Promise<PendingAccount> {
    const { createIdentity } = await import('./keyfile-ops.ts');
    const userId = userName.trim().toLowerCase();
    const { identity, keyFile } = await createIdentity(userId, passphrase, { onProgress });
    return { userName: userName.trim(), identity, keyFile };
  }

  /** Step 3, after the user confirmed the key file is saved: register, log in, land. */
  async finishAccount(p: PendingAccount): Promise<void> {
    await this.ensureDb();
    const proof = await signRegistration(p.identity);
    try {
      await this.api.register(p.userName, p.identity.public, proof);
    } catch (e) {
      // A retry after a lost answer: the name is ours if the directory holds our key.
      if (!(e instanceof ApiError && e.code === 'user_name_taken' && (await this.ownsName(p.identity)))) throw e;
    }
    await this.login(p.identity);
    await this.adopt(p.identity, p.userName, Date.now());
  }

  private async ownsName(identity: Identity): Promise<boolean> {
    try {
      const k = await this.api.keys(identity.userId);
      return (await fingerprint(k.current.identity)) === (await fingerprint(identity.public));
    } catch {
      return false;
    }
  }

  private async adopt(identity: Identity, displayName: string, keyFileConfirmedAt: number | null): Promise<void> {
    const db = this.db!;
    await saveIdentity(db, {
      userId: identity.userId, displayName, public: identity.public, encryption: identity.encryption, signing: identity.signing,
      fingerprint: await fingerprint(identity.public), createdAt: Date.now(), keyFileConfirmedAt,
    });
    this.me = (await loadIdentity(db))!;
    this.identity = identity;
    this.wire();
  }

  private async ensureDb(): Promise<Db> {
    this.db ??= await openDatabase();
    return this.db;
  }

  enterApp(): void {
    this.phase = 'ready';
    this.changed();
    void this.refreshSummaries(false);
    this.goOnline();
  }

  // ---- restore ----------------------------------------------------------------------

  async restore(keyFileText: string, passphrase: string, onProgress: (p: RestoreProgress) => void): Promise<RestoreSummary> {
    const db = await this.ensureDb();
    onProgress({ stage: 'key-file', done: 0, total: 0 });
    const { importKeyFile } = await import('./keyfile-ops.ts');
    const identity = await importKeyFile(keyFileText, passphrase);
    onProgress({ stage: 'login', done: 0, total: 0 });
    const previous = await loadIdentity(db);
    if (previous && previous.userId !== identity.userId) throw new Error('This device holds another account. Use “Forget this device” first.');
    await this.login(identity);
    await this.adopt(identity, identity.userId, Date.now());
    await markKeyFileConfirmed(db);
    // T4: the whole signed log is replayed through the transcript before anything new is shown.
    this.restoring = true;
    try {
      const { conversations } = await this.api.conversations();
      const total = conversations.reduce((n, c) => n + c.latestSeq, 0);
      let done = 0;
      onProgress({ stage: 'history', done, total });
      // Progress is shown at most every 100 ms (each page is stored at once; re-rendering
      // per entry cost more than the entry).
      let shownAt = 0;
      const onEntries = (n: number) => {
        done += n;
        const now = Date.now();
        if (now - shownAt < 100) return;
        shownAt = now;
        onProgress({ stage: 'history', done, total: Math.max(total, done) });
      };
      await this.enqueue(() => this.pull({ live: false, onEntries }));
      // History recovered from the key file is not news: nothing starts out unread.
      for (const c of await listConversations(db)) await this.engine!.markRead(c.conversationId);
      onProgress({ stage: 'done', done, total: Math.max(total, done) });
    } finally {
      this.restoring = false;
    }
    return this.restoreSummary();
  }

  private async restoreSummary(): Promise<RestoreSummary> {
    const db = this.db!;
    const convs = await listConversations(db);
    let messages = 0;
    const failed = new Map<string, number>();
    for (const c of convs) {
      for (const row of await getLog(db, c.conversationId)) {
        if (row.check.ok) {
          if (row.kind === 'message' && row.check.kind === 'text') messages++;
        } else {
          const text = describeProblem(row.check.problem ?? 'malformed', { missing: row.check.missing }).text;
          failed.set(text, (failed.get(text) ?? 0) + 1);
        }
      }
    }
    return { conversations: convs.length, messages, failed: [...failed].map(([reason, count]) => ({ reason, count })) };
  }

  // ---- receiving ------------------------------------------------------------------------

  private onLiveEntry(e: LogEntry): void {
    void this.enqueue(async () => {
      const conv = await getConversation(this.db!, e.conversationId);
      const last = conv?.lastSeq ?? 0;
      if (e.seq <= last) return;
      if (e.seq !== last + 1) {
        await this.pull({ live: true }); // a gap in seq: fetch what is missing, in order
        return;
      }
      const report = await this.engine!.ingest([e], { live: true, viewing: this.visibleConversation() });
      await this.afterIngest(report.toAcknowledge);
    });
  }

  private visibleConversation(): string | null {
    return typeof document !== 'undefined' && document.visibilityState === 'visible' ? this.viewing : null;
  }

  private async pull(opts: { live: boolean; onEntries?: (handled: number) => void }): Promise<void> {
    const ack = new Map<string, string[]>();
    const cursors = await this.cursors();
    let next = this.api.sync({ ...cursors });
    for (let page = 0; page < 10_000; page++) {
      const res = await next;
      const more = res.hasMore && res.entries.length > 0;
      // The next page is fetched while this one is verified and stored, from the cursors
      // this page leaves (ingest stores every entry past a cursor; repeats are skipped).
      if (more) {
        for (const e of res.entries) if (e.seq > (cursors[e.conversationId] ?? 0)) cursors[e.conversationId] = e.seq;
        next = this.api.sync({ ...cursors });
        next.catch(() => undefined); // awaited on the next turn; not unhandled if ingest throws
      }
      const report = await this.engine!.ingest(res.entries, { live: opts.live, viewing: this.visibleConversation() }, opts.onEntries);
      for (const [k, v] of report.toAcknowledge) ack.set(k, [...(ack.get(k) ?? []), ...v]);
      if (!more) break;
    }
    await this.afterIngest(ack);
  }

  /** Sends delivery receipts (signed, end-to-end encrypted messages, R2) and refreshes the view. */
  private async afterIngest(ack: Map<string, string[]>): Promise<void> {
    if (!this.restoring) {
      for (const [cid, refs] of ack) {
        try {
          await this.engine!.send(cid, '', 'receipt', refs);
        } catch {
          // blocked conversation: no receipt until the user reviews it
        }
      }
      if (ack.size > 0) this.runner?.kick();
    }
    await this.refreshSummaries(true);
  }

  private async checkContacts(): Promise<void> {
    const outcomes = await this.directory!.refreshAll((await allContacts(this.db!)).map((c) => c.userId));
    if (outcomes.includes('changed')) await this.refreshSummaries(true);
  }

  // ---- views ------------------------------------------------------------------------------

  async refreshSummaries(notify: boolean): Promise<void> {
    if (!this.engine) return;
    this.summaries = await this.engine.summaries();
    if (notify) {
      this.changed();
      void this.refreshPreviews();
    }
  }

  private async refreshPreviews(): Promise<void> {
    if (!this.engine) return;
    let any = false;
    for (const s of this.summaries) {
      const p = await this.engine.preview(s.conversationId);
      if (this.previews.get(s.conversationId) !== p) {
        this.previews.set(s.conversationId, p);
        any = true;
      }
    }
    if (any) this.changed();
  }

  messages(conversationId: string): Promise<MessageView[]> {
    return this.engine ? this.engine.messages(conversationId) : Promise.resolve([]);
  }

  async open(conversationId: string | null): Promise<void> {
    this.viewing = conversationId;
    if (conversationId) {
      await this.engine?.markRead(conversationId);
      const conv = await getConversation(this.db!, conversationId);
      if (conv) void this.directory?.refreshAll(conv.members.filter((m) => m !== this.me?.userId)).then(() => this.refreshSummaries(true));
    }
    await this.refreshSummaries(true);
  }

  blockedReason(conversationId: string): Promise<string | null> {
    return this.engine!.blockedReason(conversationId);
  }

  // ---- intents --------------------------------------------------------------------------

  async startConversation(userName: string): Promise<string> {
    const id = await this.enqueue(() => this.engine!.startConversation(userName));
    await this.refreshSummaries(true);
    return id;
  }

  async send(conversationId: string, text: string): Promise<void> {
    await this.engine!.send(conversationId, text);
    this.runner?.kick();
    void this.runner?.requestBackgroundSync();
    await this.refreshSummaries(true);
  }

  async contact(userId: string): Promise<{ contact: ContactRow; safety: { digits: string; qrPayload: string } | null } | undefined> {
    const contact = await getContact(this.db!, userId);
    if (!contact || !this.me) return undefined;
    const safety = await safetyNumber(this.me.public, contact.pinned).catch(() => null);
    return { contact, safety };
  }

  async acceptKey(userId: string): Promise<void> {
    await acceptPendingKey(this.db!, userId);
    await this.refreshSummaries(true);
  }

  async setVerified(userId: string, verified: boolean): Promise<void> {
    await setVerified(this.db!, userId, verified);
    this.changed();
  }

  /** After reviewing a refused membership change: continue with the last valid epoch. */
  async dismissMembershipAlert(conversationId: string): Promise<void> {
    await updateConversation(this.db!, conversationId, (c) => ({ ...c, membershipAlert: null }));
    await this.refreshSummaries(true);
  }

  async storageInfo(): Promise<{ persisted: boolean | null; usage: number | null; entries: number; queued: number }> {
    const est = await navigator.storage?.estimate?.().catch(() => undefined);
    const out = await allOutbox(this.db!);
    return { persisted: this.persisted, usage: est?.usage ?? null, entries: await countEntries(this.db!), queued: out.filter((r) => r.status === 'queued').length };
  }

  private async requestPersistence(): Promise<void> {
    try {
      this.persisted = (await navigator.storage?.persisted?.()) ?? null;
      if (this.persisted === false) this.persisted = (await navigator.storage.persist()) ?? false;
    } catch {
      this.persisted = false;
    }
    this.changed();
  }

  /** Wipes everything local: keys, messages, outbox, token, caches, and the worker. */
  async forgetDevice(): Promise<void> {
    this.realtime?.stop();
    this.runner?.stop();
    try {
      if (this.session) await this.api.logout();
    } catch {
      // offline: the token is deleted locally anyway
    }
    if (this.db) await clearSession(this.db).catch(() => undefined);
    await deleteDatabase(this.db);
    this.db = null;
    try {
      for (const key of await caches.keys()) await caches.delete(key);
      for (const reg of (await navigator.serviceWorker?.getRegistrations()) ?? []) await reg.unregister();
    } catch {
      // nothing cached
    }
  }
}
