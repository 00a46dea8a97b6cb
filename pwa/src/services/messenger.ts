// The composition root: the application's state and intents, handed to components through
// @lit/context. It owns the database handle, the API client and the session, and once an
// identity is known wires a Device (device.ts: ingest, composing, views, sync) to the page's
// own machinery: the realtime socket, the outbox runner and the service worker. The work
// itself lives in the task modules; this file only wires them and exposes state.
// Nothing here is a module global, and nothing touches the DOM at construction.
import { deleteDB } from 'idb';
import { safetyNumber, type AttachmentRef, type Identity } from '../../../protocol/src/index.ts';
import { loadIdentity, markKeyFileConfirmed } from '../stores/account.ts';
import { acceptPendingKey, allContacts, getContact, setVerified } from '../stores/contacts.ts';
import { deleteDatabase, openDatabase, type ContactRow, type Db, type IdentityRow } from '../stores/db.ts';
import { getConversation, updateConversation } from '../stores/conversations.ts';
import { loadDraft, saveDraft } from '../stores/drafts.ts';
import { Api } from './api.ts';
import type { SessionInfo } from './api.ts';
import type { BlobClient } from './attachments.ts';
import type { Device } from './device.ts';
import { thisDeviceName } from './device-name.ts';
import { checkUserName, generateAccount, nameIsFree, registerAccount, type PendingAccount } from './onboarding.ts';
import type { OutboxRunner } from './outbox-runner.ts';
import { reading, type Reading } from './reading.ts';
import type { ConnectionState, Realtime } from './realtime.ts';
import type { RestoreProgress, RestoreSummary } from './restore.ts';
import { Session } from './session.ts';
import { requestPersistence, storageInfo, wipeCachesAndWorker, type StorageInfo } from './storage.ts';
import type { ConversationSummary, EventView, MessageView } from './views.ts';
import { BlockedError, plainError, type BlockReason } from './warnings.ts';

export type Phase = 'loading' | 'welcome' | 'ready' | 'failed';

export interface MessengerOptions {
  /** The page's origin: what login proofs are signed over (T1) and where the socket connects. */
  origin: string;
  /** Where the service is, '' for the page's own origin. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** The database name (tests give each device its own). */
  databaseName?: string;
}

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
  /** The key-file reminder was dismissed in this run of the app (it comes back on the next start). */
  keyFileReminderDismissed = false;

  readonly origin: string;
  readonly session: Session;
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch | undefined;
  private readonly databaseName: string | undefined;
  private readonly api: Api;
  private db: Db | null = null;
  /** What the list and a conversation need, offline (reading.ts); null until an identity is known. */
  private reading: Reading | null = null;
  /**
   * The rest of the signed-in device's services (online.ts: ingest, composing, sync, the
   * socket, the outbox), loaded after the first paint; null until an identity is known.
   */
  private online: Promise<Device> | null = null;
  private realtime: Realtime | null = null;
  private runner: OutboxRunner | null = null;

  constructor(o: MessengerOptions) {
    super();
    this.origin = o.origin;
    this.baseUrl = o.baseUrl ?? '';
    this.fetchImpl = o.fetch;
    this.databaseName = o.databaseName;
    this.api = new Api({ baseUrl: this.baseUrl, token: () => this.session.token, fetch: this.fetchImpl });
    this.session = new Session({ api: this.api, db: () => this.db!, origin: this.origin, deviceName: thisDeviceName() });
  }

  /** main.ts reports a waiting service worker; the banner offers to activate it. */
  offerUpdate(apply: (() => void) | null): void {
    this.updateReady = apply;
    this.changed();
  }

  private changed(): void {
    this.dispatchEvent(new Event('change'));
  }

  // Start-up and wiring.

  /** Opens local state only: the app is usable offline before any network answer. */
  async start(): Promise<void> {
    try {
      this.db = await openDatabase(this.databaseName, {
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
      const row = await this.session.load();
      if (!row) {
        this.phase = 'welcome';
        this.changed();
        return;
      }
      this.me = row;
      const identity = this.session.identity!;
      this.read(identity);
      this.phase = 'ready';
      await this.refreshSummaries(false);
      this.changed();
      // The rest (ingest, composing, sync, the socket) once the list is on its way to the screen.
      void this.connect(identity);
      this.goOnline();
      void this.refreshPreviews();
    } catch (e) {
      this.phase = 'failed';
      this.fatal = `MessageHub could not open its storage on this device: ${plainError(e)}`;
      this.changed();
    }
  }

  /** The reading services at once (the first paint needs them), then the rest. */
  private wire(identity: Identity): Promise<Device> {
    this.read(identity);
    return this.connect(identity);
  }

  private read(identity: Identity): void {
    this.reading = reading({ db: this.db!, api: this.api, identity, previousKeys: this.me?.previousKeys });
  }

  /** Loads the online code (online.ts) and wires the Device, its socket and its outbox. */
  private connect(identity: Identity): Promise<Device> {
    const db = this.db!;
    const read = this.reading!;
    const online = import('./online.ts').then(({ Device, OutboxRunner, Realtime, flushOutbox }) => {
      const device = new Device({
        db, api: this.api, identity, reading: read,
        hooks: {
          viewing: () => this.visibleConversation(),
          kick: () => this.runner?.kick(),
          ingested: () => this.refreshSummaries(true),
        },
      });
      // DEV12: from now on a login names this device (and a revoked one is refused, DEV13).
      this.session.deviceSigner = () => device.deviceKeys.signer();
      this.runner = new OutboxRunner(
        // Over the open socket when there is one, else HTTP (outbox-flush.ts).
         () => flushOutbox(db, { baseUrl: this.baseUrl, fetch: this.fetchImpl, send: (envelopes) => this.realtime?.sendBatch(envelopes) ?? null }),
        (o) => {
          this.lastFlush = { ok: o.ok, reason: o.ok ? undefined : o.reason, at: Date.now() };
          if (!o.ok && o.reason === 'unauthorized') void this.session.relogin().then(() => this.runner?.kick(), () => undefined);
          if (!o.ok && o.reason === 'no-session') void this.session.relogin().then(() => this.runner?.kick(), () => undefined);
          if (o.sent > 0 || !o.ok) void this.refreshSummaries(true);
        },
      );
      this.realtime = new Realtime({
        url: `${this.origin.replace(/^http/, 'ws')}/api/v1/ws`,
        token: () => this.session.token,
        cursors: () => device.sync.cursors(),
        onEntry: (e) => void device.sync.onLiveEntry(e),
        onReady: () => {
          this.runner?.kick();
          void this.checkContacts();
        },
        onConversation: () => void device.sync.pull({ live: true }),
        onState: (s) => {
          this.connection = s;
          this.changed();
        },
        onUnauthorized: () => void this.session.relogin().then(() => this.realtime?.reconnectNow(), () => undefined),
      });
      return device;
    });
    this.online = online;
    // Not loaded (only if the build is broken: the worker precaches it): the app stays
    // readable and offline; an intent that needs it reports the error.
    online.catch(() => undefined);
    globalThis.navigator?.serviceWorker?.addEventListener('message', (ev) => {
      if ((ev.data as { type?: string })?.type === 'outbox-flushed') void this.refreshSummaries(true);
    });
    return online;
  }

  /** The whole Device, for intents that write or reach the service. */
  private ready(): Promise<Device> {
    if (!this.online) return Promise.reject(new Error('not signed in'));
    return this.online;
  }

  private goOnline(): void {
    void this.online?.then(() => {
      this.runner?.start();
      if (this.session.current) this.realtime?.start();
      else void this.session.relogin().then(() => this.realtime?.start(), () => undefined);
    });
    void this.requestPersistence();
  }

  private visibleConversation(): string | null {
    return typeof document !== 'undefined' && document.visibilityState === 'visible' ? this.viewing : null;
  }

  private async ensureDb(): Promise<Db> {
    this.db ??= await openDatabase(this.databaseName);
    return this.db;
  }

  /** Stores the identity this device speaks for and wires its services. */
  private async adopt(identity: Identity, displayName: string, keyFile: { confirmedAt: number | null; unsaved?: string } = { confirmedAt: Date.now() }): Promise<Device> {
    this.me = await this.session.adopt(identity, displayName, keyFile.confirmedAt, keyFile.unsaved ?? null);
    return this.wire(identity);
  }

  private async checkContacts(): Promise<void> {
    const outcomes = await (await this.ready()).directory.refreshAll((await allContacts(this.db!)).map((c) => c.userId));
    if (outcomes.includes('changed')) await this.refreshSummaries(true);
  }

  // Onboarding (onboarding.ts) and restore (restore.ts).

  checkUserName(userName: string): void {
    checkUserName(userName);
  }

  /** Whether the service has the name free (asked before any key is made). */
  nameIsFree(userName: string): Promise<boolean> {
    return nameIsFree(this.api, userName);
  }

  // Drafts (stores/drafts.ts): one per conversation, sealed at rest.

  async draft(conversationId: string): Promise<string> {
    return this.db ? loadDraft(this.db, conversationId) : '';
  }

  async saveDraft(conversationId: string, text: string): Promise<void> {
    if (this.db) await saveDraft(this.db, conversationId, text);
  }

  generateAccount(userName: string, passphrase: string, onProgress: (stage: string, fraction: number) => void): Promise<PendingAccount> {
    return generateAccount(userName, passphrase, onProgress);
  }

  /**
   * After the key file step: register, log in, land. `keyFileSaved` false means the user
   * chose "I understand I can lose everything": the sealed file stays on this device so the
   * reminder can offer it again, until it is downloaded.
   */
  async finishAccount(p: PendingAccount, keyFileSaved = true): Promise<void> {
    await this.ensureDb();
    await registerAccount(this.api, p);
    await this.session.login(p.identity);
    await this.adopt(p.identity, p.userName, keyFileSaved ? { confirmedAt: Date.now() } : { confirmedAt: null, unsaved: p.keyFile });
  }

  // The key-file reminder.

  /** Shown until a key file is saved; dismissing hides it until the next start. */
  get keyFileReminder(): boolean {
    return !!this.me && this.me.keyFileConfirmedAt === null && !this.keyFileReminderDismissed;
  }

  /** The sealed key file kept since sign-up because it was not saved, if any. */
  get unsavedKeyFile(): string | null {
    return this.me?.unsavedKeyFile ?? null;
  }

  dismissKeyFileReminder(): void {
    this.keyFileReminderDismissed = true;
    this.changed();
  }

  /** The user downloaded a key file: stop reminding, and drop the sealed copy kept for it. */
  async keyFileSaved(): Promise<void> {
    const db = this.db!;
    await markKeyFileConfirmed(db);
    this.me = (await loadIdentity(db)) ?? this.me;
    this.changed();
  }

  enterApp(): void {
    this.phase = 'ready';
    this.changed();
    // Notify once the summaries are read again: the list must not keep the counts it was
    // last told about during a restore (restored history is marked read at its end).
    void this.refreshSummaries(true);
    this.goOnline();
  }

  /**
   * The restore and sign-up screens call this when shown: the key-file code and the Argon2
   * WebAssembly load and compile while the user chooses a file and types (a restore spent
   * ~0.5 s on it after the submit otherwise; BENCHMARKS.md).
   */
  prepareKeyFile(): void {
    void import('./keyfile-ops.ts').then((m) => m.warmUpKdf(), () => undefined);
    void import('./restore.ts').catch(() => undefined);
  }

  async restore(keyFileText: string, passphrase: string, onProgress: (p: RestoreProgress) => void): Promise<RestoreSummary> {
    const db = await this.ensureDb();
    onProgress({ stage: 'key-file', done: 0, total: 0 });
    globalThis.performance?.mark?.('restore:start'); // stages: restore.ts
    // Both only on the restore screen: kept out of the start chunk.
    const [{ importKeyFile }, { restoreAccount }] = await Promise.all([import('./keyfile-ops.ts'), import('./restore.ts')]);
    const identity = await importKeyFile(keyFileText, passphrase);
    return restoreAccount({ db, api: this.api, session: this.session, adopt: (id) => this.adopt(id, id.userId) }, identity, onProgress);
  }

  // Views (views.ts).

  async refreshSummaries(notify: boolean): Promise<void> {
    if (!this.reading) return;
    await this.reading.requests.classify();
    this.summaries = await this.reading.views.summaries();
    if (notify) {
      this.changed();
      void this.refreshPreviews();
    }
  }

  private async refreshPreviews(): Promise<void> {
    if (!this.reading) return;
    let any = false;
    for (const s of this.summaries) {
      const p = await this.reading.views.preview(s.conversationId);
      if (this.previews.get(s.conversationId) !== p) {
        this.previews.set(s.conversationId, p);
        any = true;
      }
    }
    if (any) this.changed();
  }

  messages(conversationId: string): Promise<MessageView[]> {
    return this.reading ? this.reading.views.messages(conversationId) : Promise.resolve([]);
  }

  /** Membership events of a conversation (who added, removed or re-keyed), oldest first. */
  events(conversationId: string): Promise<EventView[]> {
    return this.reading ? this.reading.views.events(conversationId) : Promise.resolve([]);
  }

  async open(conversationId: string | null): Promise<void> {
    this.viewing = conversationId;
    if (conversationId) {
      await this.reading?.views.markRead(conversationId);
      const conv = await getConversation(this.db!, conversationId);
      const others = conv?.members.filter((m) => m !== this.me?.userId) ?? [];
      if (conv) void this.online?.then((d) => d.directory.refreshAll(others)).then(() => this.refreshSummaries(true));
    }
    await this.refreshSummaries(true);
  }

  async blockedReason(conversationId: string): Promise<BlockReason | null> {
    return (await this.ready()).composer.blockedReason(conversationId);
  }

  // Intents (composing.ts, the contact stores).

  async startConversation(userName: string): Promise<string> {
    const device = await this.ready();
    const id = await device.sync.enqueue(() => device.composer.startConversation(userName));
    // Opening (or reopening) a conversation with someone takes it in, request or not.
    await device.requests.accept(id);
    await this.refreshSummaries(true);
    return id;
  }

  /** Start a group with a name and members (GRP1..GRP4); this user is its admin. Needs the network. */
  async createGroup(name: string, userNames: string[]): Promise<string> {
    const device = await this.ready();
    const id = await device.sync.enqueue(() => device.composer.createGroup(name, userNames));
    await device.requests.accept(id);
    await this.refreshSummaries(true);
    return id;
  }

  /** Leave a group (GRP6): a signed record without us; nothing sent after it reaches us. */
  async leaveGroup(conversationId: string): Promise<void> {
    const device = await this.ready();
    await device.sync.enqueue(() => device.composer.leave(conversationId));
    await this.refreshSummaries(true);
  }

  /** Add a member (a new signed epoch; L9; in a group, admins only: GRP5). */
  async addMember(conversationId: string, userId: string): Promise<void> {
    const device = await this.ready();
    await device.sync.enqueue(() => device.composer.addMember(conversationId, userId));
    await this.refreshSummaries(true);
  }

  /** Remove a member (a new signed epoch with a fresh key; L2, L9; in a group, admins only: GRP5). */
  async removeMember(conversationId: string, userId: string): Promise<void> {
    const device = await this.ready();
    await device.sync.enqueue(() => device.composer.removeMember(conversationId, userId));
    await this.refreshSummaries(true);
  }

  // Message requests (requests.ts, THREATS L3).

  /** Accept a request: a normal conversation; the receipts held back are sent now. */
  async acceptRequest(conversationId: string): Promise<void> {
    const device = await this.ready();
    await device.requests.accept(conversationId);
    const refs = (await device.views.messages(conversationId)).filter((v) => !v.mine && v.seq !== null && v.body !== null).map((v) => v.id).slice(-100);
    if (refs.length > 0) {
      try {
        await device.composer.send(conversationId, '', 'receipt', refs);
        this.runner?.kick();
      } catch {
        // sending paused (a key to review): no receipt until then, as for any message
      }
    }
    await this.refreshSummaries(true);
  }

  /** Ignore a request: hidden, kept, found again under "Hidden". */
  async ignoreRequest(conversationId: string): Promise<void> {
    await this.reading!.requests.ignore(conversationId);
    await this.refreshSummaries(true);
  }

  /** Block whoever opened the conversation (told to the service, which refuses their new conversations). */
  async blockRequest(conversationId: string): Promise<void> {
    await this.reading!.requests.block(conversationId);
    await this.refreshSummaries(true);
  }

  async send(conversationId: string, text: string): Promise<void> {
    await (await this.ready()).composer.send(conversationId, text);
    this.runner?.kick();
    void this.runner?.requestBackgroundSync();
    await this.refreshSummaries(true);
  }

  /**
   * Send a photo or file (protocol §14): sealed at once into the device's attachment store,
   * with a canvas preview for images; the message naming it waits in the outbox until the
   * file is uploaded (outbox-flush.ts), so it works offline like a text.
   */
  async sendFile(conversationId: string, file: Blob, name: string, caption = ''): Promise<void> {
    const device = await this.ready();
    // The attachment code is its own chunk, loaded the first time a file is sent or shown.
    const { AttachmentStore, attachmentDbName, makePreview, prepareAttachment } = await import('./attachments.ts');
    const blocked = await device.composer.blockedReason(conversationId);
    if (blocked) throw new BlockedError(blocked);
    const clientMessageId = crypto.randomUUID();
    const store = await AttachmentStore.open(attachmentDbName(this.db!.name));
    try {
      const ref = await prepareAttachment(store, file, { conversationId, messageId: clientMessageId, name, preview: await makePreview(file) });
      try {
        await device.composer.send(conversationId, caption, 'text', undefined, { ref, clientMessageId });
      } catch (e) {
        await store.drop(ref.blobId);
        if (ref.preview) await store.drop(ref.preview.blobId);
        throw e;
      }
    } finally {
      store.close();
    }
    this.runner?.kick();
    void this.runner?.requestBackgroundSync();
    await this.refreshSummaries(true);
  }

  private async blobClient(): Promise<BlobClient> {
    const { BlobClient } = await import('./attachments.ts');
    return new BlobClient({ baseUrl: this.baseUrl, token: () => this.session.token, fetch: this.fetchImpl });
  }

  /** A file of a message, downloaded and opened on demand; it rejects unless the whole file matched its hash (ATT6). */
  async downloadAttachment(conversationId: string, ref: AttachmentRef): Promise<Blob> {
    const { downloadFile } = await import('./attachments.ts');
    return downloadFile(await this.blobClient(), ref, conversationId);
  }

  /** The preview image of a file, bound to it (ATT7); null when it has none. */
  async attachmentPreview(conversationId: string, ref: AttachmentRef): Promise<Blob | null> {
    const { downloadPreview } = await import('./attachments.ts');
    return downloadPreview(await this.blobClient(), ref, conversationId);
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
    await this.refreshSummaries(true);
  }

  /** After reviewing a refused membership change: continue with the last valid epoch. */
  async dismissMembershipAlert(conversationId: string): Promise<void> {
    await updateConversation(this.db!, conversationId, (c) => ({ ...c, membershipAlert: null }));
    await this.refreshSummaries(true);
  }

  /**
   * A new key file under a new passphrase (keyfile-ops.ts `rewrapKeyFile`), from the key
   * file the user chose, or else the one kept since sign-up because it was never saved.
   * Nothing is stored: the caller offers the result as a download, then `keyFileSaved`.
   */
  async newKeyFile(keyFileText: string | null, passphrase: string, newPassphrase: string): Promise<string> {
    const { rewrapKeyFile, RewrapError } = await import('./keyfile-ops.ts');
    const source = keyFileText ?? this.unsavedKeyFile;
    if (!source) throw new RewrapError('not-a-key-file', 'Choose your current key file first.');
    return rewrapKeyFile(source, passphrase, newPassphrase, this.me!.public);
  }

  // This account's devices (session.ts).

  devices(): Promise<SessionInfo[]> {
    return this.session.devices();
  }

  /**
   * "I lost a device" (lost-device.ts, LOST2; loaded on demand): revoke, rotate, re-key,
   * and the new key file to save. Continues an interrupted run for the same device.
   */
  async lostDevice(
    target: { deviceId: string; deviceName: string; sessionId: string | null },
    passphrase: string | null,
    onProgress: (p: import('./lost-device.ts').LostProgress) => void,
  ): Promise<{ keyFile: string; rekeyed: number }> {
    const device = await this.ready();
    const { runLostDevice } = await import('./online.ts');
    try {
      return await runLostDevice({ db: this.db!, api: this.api, session: this.session, device }, target, passphrase, onProgress);
    } finally {
      this.me = (await loadIdentity(this.db!)) ?? this.me;
      this.changed();
      void this.refreshSummaries(true);
    }
  }

  /** An interrupted "I lost a device" run, if any. */
  async unfinishedLostDevice(): Promise<import('./lost-device.ts').LostDeviceState | null> {
    if (!this.db) return null;
    const { unfinishedLostDevice } = await import('./online.ts');
    return unfinishedLostDevice(this.db);
  }

  /** Signed (ACCT3): the identity key approves revoking that device's session. */
  revokeDevice(sessionId: string): Promise<void> {
    return this.session.revokeDevice(sessionId);
  }

  // Storage (storage.ts).

  storageInfo(): Promise<StorageInfo> {
    return storageInfo(this.db!, this.persisted);
  }

  private async requestPersistence(): Promise<void> {
    this.persisted = await requestPersistence();
    this.changed();
  }

  /** Wipes everything local: keys, messages, outbox, token, caches, and the worker. */
  async forgetDevice(): Promise<void> {
    this.realtime?.stop();
    this.runner?.stop();
    await this.session.logout(this.db);
    const { attachmentDbName } = await import('./attachments.ts');
    const attachments = attachmentDbName(this.db?.name ?? 'messagehub');
    await deleteDatabase(this.db);
    await deleteDB(attachments);
    this.db = null;
    await wipeCachesAndWorker();
  }
}
