// The composition root: the application's state and intents, handed to components through
// @lit/context. It owns the database handle, the API client and the session, and once an
// identity is known wires a Device (device.ts: ingest, composing, views, sync) to the page's
// own machinery: the realtime socket, the outbox runner and the service worker. The work
// itself lives in the task modules; this file only wires them and exposes state.
// Nothing here is a module global, and nothing touches the DOM at construction.
import { deleteDB } from 'idb';
import { MAX_READ_REFS, safetyNumber, type AttachmentRef, type Identity, type MessageRef } from '../../../protocol/src/index.ts';
import { loadIdentity, markKeyFileConfirmed, saveSealedKeyFile } from '../stores/account.ts';
import { acceptPendingKey, allContacts, getContact, setVerified } from '../stores/contacts.ts';
import { deleteDatabase, openDatabase, type ContactRow, type Db, type IdentityRow } from '../stores/db.ts';
import { getConversation, updateConversation } from '../stores/conversations.ts';
import { loadDraft, saveDraft } from '../stores/drafts.ts';
import { readReceiptsOn, setReadReceipts, setTypingIndicators, typingIndicatorsOn } from '../stores/preferences.ts';
import { loadFlags, setFlags, type FlagTable } from '../stores/flags.ts';
import { Api } from './api.ts';
import type { Attention, NotifyPrefs } from './attention.ts';
import type { SessionInfo } from './api.ts';
import type { BlobClient } from './attachments.ts';
import type { Device } from './device.ts';
import { thisDeviceName } from './device-name.ts';
import { checkUserName, generateAccount, nameIsFree, registerAccount, type PendingAccount } from './onboarding.ts';
import type { OutboxRunner } from './outbox-runner.ts';
import { reading, type Reading } from './reading.ts';
import type { ConnectionState, Realtime } from './realtime.ts';
import type { LinkReceiver } from './link.ts';
import type { RestoreProgress, RestoreSummary } from './restore.ts';
import type { RestoreFlow, Restoring } from './restore-flow.ts';
import { Session } from './session.ts';
import { requestPersistence, storageInfo, wipeCachesAndWorker, type StorageInfo } from './storage.ts';
import type { ConversationSummary, EventView, MessageView } from './views.ts';
import { BlockedError, plainError, type BlockReason } from './warnings.ts';

/** `elsewhere`: another tab or window runs this device (holdTheDevice). */
export type Phase = 'loading' | 'welcome' | 'ready' | 'failed' | 'elsewhere';


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
  /** EVT2: "Send and show read receipts" (off: none sent, none shown). */
  readReceipts = true;
  /** TYP8: "Send and show typing indicators" (off: none sent, none shown). */
  typingIndicators = true;
  /** Typing indicators (typing.ts, loaded with the conversation screen, which sets it); memory only. */
  typing: import('./typing.ts').Typing | null = null;
  /**
   * A restore that streams (issue 18): older history still coming in (`summary` null, the list
   * says how far), then its summary until dismissed; null otherwise.
   */
  restoring: Restoring | null = null;
  /** THREATS T4 per conversation: conversations whose whole log is not replayed yet are not listed. */
  private readonly restoreHidden = new Set<string>();
  /** The restore's flow on screen (restore-flow.ts, loaded with the restore code). */
  private restoreFlow: Promise<RestoreFlow> | null = null;
  /** Starts the rest of a restore once the list is on screen (enterApp). */
  private listPainted: (() => void) | null = null;

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
  /** Title, badge, notifications and mute (attention.ts, in the online chunk); null until it is loaded. */
  private attention: Attention | null = null;

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

  /**
   * One tab at a time runs this device (session 9): two tabs sealing and ingesting for it at
   * once took each other's entries for replays ("delivered again"), lost messages from their
   * own view, and once had readers told "the history was altered" (e2e/FINDINGS.md F18).
   * With another tab holding it, this one says so, offers "Use it here" (useHere), and starts
   * by itself once that tab is closed. A tab whose device is taken over writes its draft and
   * reloads, so nothing it was doing goes on, and then waits the same way. Without Web Locks
   * (Node, in unit tests) nothing is held, as before.
   */
  private holdTheDevice(): Promise<void> {
    const locks = globalThis.navigator?.locks;
    if (!locks) return Promise.resolve();
    const name = `messagehub.device.${this.databaseName ?? ''}`;
    return new Promise<void>((started) => {
      const held = (): Promise<void> => {
        started();
        return new Promise<void>(() => undefined); // held while this page lives
      };
      const takenOver = (): void => void this.draftsWritten.finally(() => location.reload());
      this.useHere = () => void locks.request(name, { steal: true }, held).catch(takenOver);
      locks.request(name, { ifAvailable: true }, (lock) => {
        if (lock) return held();
        this.phase = 'elsewhere';
        this.changed();
        locks.request(name, held).catch(takenOver);
        return undefined;
      }).catch(takenOver);
    });
  }

  /** "Use it here": this tab takes the device over, and the one that had it stops (holdTheDevice). */
  useHere = (): void => undefined;

  /** Opens local state only: the app is usable offline before any network answer. */
  async start(): Promise<void> {
    await this.holdTheDevice();
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
      this.watchVisibility();
      const row = await this.session.load();
      if (!row) {
        this.phase = 'welcome';
        this.changed();
        return;
      }
      this.me = row;
      this.readReceipts = await readReceiptsOn(this.db);
      this.typingIndicators = await typingIndicatorsOn(this.db);
      const identity = this.session.identity!;
      this.read(identity);
      this.phase = 'ready';
      // A restore interrupted by a reload or a crash (restore-state.ts): it continues below.
      const resume = (await this.db.get('settings', 'restore-state')) ? await (await this.flow()).resume() : false;
      await this.refreshSummaries(false);
      this.changed();
      // The rest (ingest, composing, sync, the socket) once the list is on its way to the screen.
      const online = this.connect(identity);
      if (resume) void this.flow().then((f) => f.continue(online));
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
          ingested: async () => {
            await this.refreshSummaries(true);
            // EVT2: what arrives in the conversation on screen is read.
            const visible = this.visibleConversation();
            if (visible) void this.sendReads(visible);
          },
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
        cursors: () => device.sync.liveCursors(),
        onEntry: (e) => void device.sync.onLiveEntry(e),
        onReady: () => {
          this.runner?.kick();
          void this.checkContacts();
          void this.renewPush();
        },
        onConversation: () => void device.sync.pull({ live: true }),
        onState: (s) => {
          this.connection = s;
          this.changed();
        },
        onUnauthorized: () => void this.session.relogin().then(() => this.realtime?.reconnectNow(), () => undefined),
        onTyping: (c, sealed) => void this.typing?.receive(c, sealed),
      });
      return device;
    });
    this.online = online;
    void import('./online.ts').then(async ({ Attention }) => {
      const attention = new Attention(db);
      await attention.load();
      this.attention = attention;
      await this.refreshSummaries(true);
    }, () => undefined);
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

  /** Back to a conversation that was open while the app was hidden: what arrived meanwhile is read now. */
  private watchVisibility(): void {
    globalThis.document?.addEventListener('visibilitychange', () => {
      if (document.visibilityState !== 'visible' || !this.viewing || !this.reading) return;
      void this.reading.views.markRead(this.viewing).then(() => this.refreshSummaries(true));
    });
  }

  /** Stores the identity this device speaks for and wires its services. */
  private async adopt(identity: Identity, displayName: string, keyFile: { confirmedAt: number | null; unsaved?: string; sealed?: string } = { confirmedAt: Date.now() }): Promise<Device> {
    this.me = await this.session.adopt(identity, displayName, keyFile.confirmedAt, keyFile.unsaved ?? null, keyFile.sealed ?? null);
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

  /** Per conversation, the latest text waiting to be written; and the writes, in order (saveDraft). */
  private readonly draftsWaiting = new Map<string, string>();
  private draftsWritten: Promise<void> = Promise.resolve();

  /**
   * Stores a conversation's draft, sealed. Typing outruns sealing, so a conversation has at most
   * one write waiting, and it takes the latest text when it runs: a write for every keystroke, in
   * a chain, left a reload with the first two letters of a thirteen typed (session 9).
   */
  saveDraft(conversationId: string, text: string): Promise<void> {
    const waiting = this.draftsWaiting.has(conversationId);
    this.draftsWaiting.set(conversationId, text);
    if (!waiting) {
      this.draftsWritten = this.draftsWritten.then(async () => {
        // Set before this write was queued, and taken only here: never absent (an empty text would delete the draft).
        const latest = this.draftsWaiting.get(conversationId)!;
        this.draftsWaiting.delete(conversationId);
        if (this.db) await saveDraft(this.db, conversationId, latest);
      }).catch(() => undefined);
    }
    return this.draftsWritten;
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
    await this.adopt(p.identity, p.userName, keyFileSaved ? { confirmedAt: Date.now(), sealed: p.keyFile } : { confirmedAt: null, unsaved: p.keyFile, sealed: p.keyFile });
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

  async enterApp(): Promise<void> {
    // The summaries are read again BEFORE the list is shown: ones read during a restore
    // (the online code's first refresh can land mid-restore) still count history that the
    // restore marked read at its end, and the list would show them for a moment.
    await this.refreshSummaries(false).catch(() => undefined);
    this.phase = 'ready';
    this.changed();
    if (this.restoring) globalThis.performance?.mark?.('restore:usable');
    const go = this.listPainted;
    this.listPainted = null;
    if (go) {
      if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => setTimeout(go, 0));
      else go();
    }
    void this.refreshPreviews();
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

  /**
   * Restore from a key file: resolves once the most recent conversations are in (the app can
   * be entered: `enterApp`); older history streams in meanwhile (`restoring`, restore.ts).
   */
  async restore(keyFileText: string, passphrase: string, onProgress: (p: RestoreProgress) => void): Promise<{ whole: Promise<RestoreSummary | null> }> {
    const db = await this.ensureDb();
    onProgress({ stage: 'key-file', done: 0, total: 0 });
    globalThis.performance?.mark?.('restore:start'); // stages: restore.ts
    // Both only on the restore screen: kept out of the start chunk.
    const [{ importKeyFile }, { restoreAccount }] = await Promise.all([import('./keyfile-ops.ts'), import('./restore.ts')]);
    const identity = await importKeyFile(keyFileText, passphrase);
    const stream = await restoreAccount({ db, api: this.api, session: this.session, adopt: (id) => this.adopt(id, id.userId, { confirmedAt: Date.now(), sealed: keyFileText }) }, identity, onProgress);
    // The older history starts once the list has painted (its pages' checks, on this thread,
    // would hold the first frame back), or after a second without the list.
    const painted = new Promise<void>((go) => {
      this.listPainted = go;
      setTimeout(go, 1000);
    });
    return { whole: (await this.flow()).start(stream, painted, onProgress) };
  }

  private flow(): Promise<RestoreFlow> {
    this.restoreFlow ??= import('./restore-flow.ts').then(({ RestoreFlow }) => new RestoreFlow({
      db: () => this.db!,
      api: this.api,
      online: () => this.online,
      restoring: () => this.restoring,
      setRestoring: (r) => (this.restoring = r),
      hidden: this.restoreHidden,
      refreshSummaries: () => this.refreshSummaries(false),
      refreshPreviews: (only) => this.refreshPreviews(only),
      changed: () => this.changed(),
    }));
    return this.restoreFlow;
  }
  private summaryTurn = 0;

  /** The restore's summary on the list was read. */
  dismissRestore(): void {
    this.restoring = null;
    this.changed();
  }

  // Linking a device by code (link.ts, protocol LINK1..LINK6). The new device then restores
  // from the handed-over key file exactly as from a chosen one (`restore`).

  /** On the new device: a slot and the code to show. */
  async linkStart(): Promise<LinkReceiver> {
    const { LinkReceiver } = await import('./link.ts');
    return LinkReceiver.start(this.api);
  }

  /**
   * On a signed-in device: hand this account's sealed key file to the device showing `code`.
   * The kept copy is used only if it holds the account's current key (LINK4); else the
   * user's chosen file, which is then kept. Throws LinkFailed('no-key-file') without either.
   */
  async linkSend(code: string, chosenKeyFile: string | null): Promise<void> {
    const { LinkFailed, currentKeyFile, sendLink } = await import('./link.ts');
    const me = this.me!;
    const keyFile = await currentKeyFile(me.fingerprint, [chosenKeyFile, me.sealedKeyFile]);
    if (!keyFile) throw new LinkFailed('no-key-file');
    await sendLink(this.api, code, { v: 1, type: 'link-handover', userId: me.userId, accountFingerprint: me.fingerprint, keyFile, createdAt: Date.now() });
    if (keyFile !== me.sealedKeyFile) {
      await saveSealedKeyFile(this.db!, keyFile);
      this.me = (await loadIdentity(this.db!)) ?? me;
    }
  }

  // Views (views.ts).

  async refreshSummaries(notify: boolean): Promise<void> {
    if (!this.reading) return;
    // Refreshes overlap (a restore's pages, the socket, the outbox): the one started last wins,
    // an earlier one finishing later never puts back an older list.
    const turn = ++this.summaryTurn;
    await this.reading.requests.classify();
    const all = await this.reading.views.summaries();
    if (turn !== this.summaryTurn) return;
    this.summaries = this.restoreHidden.size ? all.filter((c) => !this.restoreHidden.has(c.conversationId)) : all;
    this.flags = await loadFlags(this.db!);
    this.refreshNames();
    void this.attention?.update(this.summaries, (id) => this.describe(id));
    if (notify) {
      this.changed();
      void this.refreshPreviews();
    }
  }

  private async refreshPreviews(only?: readonly string[]): Promise<void> {
    if (!this.reading) return;
    let any = false;
    for (const s of only ? this.summaries.filter((x) => only.includes(x.conversationId)) : this.summaries) {
      const p = await this.reading.views.preview(s.conversationId);
      if (this.previews.get(s.conversationId) !== p) {
        this.previews.set(s.conversationId, p);
        any = true;
      }
    }
    if (any) this.changed();
  }

  /** For a notification with previews (NOTE2): who wrote, and the last text. */
  private async describe(conversationId: string): Promise<{ from: string; text: string | null }> {
    const s = this.summaries.find((x) => x.conversationId === conversationId);
    const from = s?.group ? (s.group.name ?? 'Group') : (s?.others.join(', ') ?? 'MessageHub');
    return { from, text: (await this.reading?.views.preview(conversationId)) ?? null };
  }

  // Notifications and mute (attention.ts, mute.ts).

  isMuted(conversationId: string): boolean {
    return this.attention?.muted.has(conversationId) ?? false;
  }

  async setMuted(conversationId: string, muted: boolean): Promise<void> {
    await this.attention?.setMuted(conversationId, muted);
    await this.refreshSummaries(true);
  }

  get notificationPrefs(): NotifyPrefs {
    return this.attention?.prefs ?? { enabled: false, previews: false };
  }

  async setNotificationPrefs(prefs: Partial<NotifyPrefs>): Promise<void> {
    await this.attention?.setPrefs(prefs);
    this.changed();
  }

  private pushRenewed = false;

  /** Once a run, when signed in: a session made by a re-login has no subscription at the service yet (idempotent). */
  private async renewPush(): Promise<void> {
    if (this.pushRenewed || !this.attention?.prefs.enabled || globalThis.Notification?.permission !== 'granted') return;
    this.pushRenewed = true;
    await this.setPush(true);
  }

  /**
   * Web Push for this device (push.ts, loaded on demand): subscribe with the service's VAPID
   * key and store the subscription there, or remove it. Call after the permission is granted.
   */
  async setPush(on: boolean): Promise<import('./push.ts').PushOutcome> {
    const { subscribePush, unsubscribePush } = await import('./online.ts');
    const api = { baseUrl: this.baseUrl, token: () => this.session.token };
    return on ? subscribePush(api) : unsubscribePush(api);
  }

  messages(conversationId: string): Promise<MessageView[]> {
    return this.reading ? this.reading.views.messages(conversationId) : Promise.resolve([]);
  }

  /** Membership events of a conversation (who added, removed or re-keyed), oldest first. */
  events(conversationId: string): Promise<EventView[]> {
    return this.reading ? this.reading.views.events(conversationId) : Promise.resolve([]);
  }

  // Search (search.ts, loaded on first use): on this device only, no index stored.

  private searcher: Promise<import('./search.ts').Searcher> | null = null;

  /** Messages containing `query` in the conversations the list shows (requests included, hidden ones not). */
  async search(query: string, o?: import('./search.ts').SearchOptions): Promise<import('./search.ts').SearchHit[]> {
    if (!this.reading) return [];
    this.searcher ??= import('./search.ts').then(({ Searcher, searchablePage }) => new Searcher({
      conversations: async () => this.summaries.filter((s) => s.request === 'accepted' || s.request === 'request').map((s) => s.conversationId),
      page: (cid, after, limit) => searchablePage(this.db!, this.reading!.views, cid, after, limit),
    }));
    return (await this.searcher).search(query, o);
  }

  // Pin and archive (stores/flags.ts): on this device only.

  /** Pinned and archived conversations, by id. */
  flags: FlagTable = {};

  async setPinned(conversationId: string, pinned: boolean): Promise<void> {
    this.flags = await setFlags(this.db!, conversationId, { pinned });
    this.changed();
  }

  /** Archive (or bring back): as in Signal, a message after the archiving brings it back. */
  async setArchived(conversationId: string, archived: boolean): Promise<void> {
    const last = this.summaries.find((s) => s.conversationId === conversationId)?.lastActivity ?? 0;
    this.flags = await setFlags(this.db!, conversationId, { archivedAt: archived ? Math.max(Date.now(), last) : 0 });
    this.changed();
  }

  // Display names (names.ts, protocol SPEC §8b), loaded after the first paint.

  /** Contacts' display names to show (NAME4 applied), by user id; memory only. */
  names = new Map<string, string>();
  /** Contacts' pinned key fingerprints (SN1), by user id, for identicons. */
  fingerprints = new Map<string, string>();
  /** This user's own display name ('' for none). */
  myName = '';
  private namer: Promise<import('./names.ts').Names> | null = null;
  private namesRun: Promise<void> = Promise.resolve();

  private nameService(): Promise<import('./names.ts').Names> {
    const db = this.db!;
    const views = this.reading!.views;
    const me = this.me!.userId;
    this.namer ??= import('./names.ts').then(async ({ Names }) => {
      const n = new Names(db, views, me);
      this.myName = await n.mine();
      return n;
    });
    return this.namer;
  }

  private refreshNames(): void {
    if (!this.reading || !this.me) return;
    this.namesRun = this.namesRun.then(async () => {
      const next = await (await this.nameService()).refresh(this.summaries.map((s) => s.conversationId));
      const fps = new Map((await allContacts(this.db!)).map((c) => [c.userId, c.fingerprint]));
      if ([...next, ...fps].join() !== [...this.names, ...this.fingerprints].join()) {
        this.names = next;
        this.fingerprints = fps;
        this.changed();
      }
    }).catch(() => undefined);
  }

  /** NAME2: set (or clear, with '') this user's name and send it, signed and encrypted, to every accepted conversation. */
  async setDisplayName(raw: string): Promise<string> {
    this.myName = await (await this.nameService()).setMine(raw);
    if (this.myName) for (const s of this.summaries) if (s.request === 'accepted') await this.sendProfile(s.conversationId);
    this.changed();
    return this.myName;
  }

  private async sendProfile(conversationId: string): Promise<void> {
    await this.nameService();
    if (!this.myName) return;
    const device = await this.ready();
    try {
      await device.composer.send(conversationId, this.myName, 'profile');
      this.runner?.kick();
    } catch {
      // sending paused there (a key to review): the name goes with the next change
    }
  }

  async open(conversationId: string | null): Promise<void> {
    this.viewing = conversationId;
    if (conversationId) {
      await this.reading?.views.markRead(conversationId);
      void this.sendReads(conversationId);
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
    void this.sendProfile(id);
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
    void this.sendProfile(conversationId);
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

  async send(conversationId: string, text: string, replyTo?: MessageRef): Promise<void> {
    await (await this.ready()).composer.send(conversationId, text, 'text', undefined, undefined, replyTo ? { replyTo } : undefined);
    this.runner?.kick();
    void this.runner?.requestBackgroundSync();
    await this.refreshSummaries(true);
  }

  // Conversation events (protocol §8a): signed, encrypted follow-ups to a message.

  /** EVT5: react to a message with an emoji, or '' to take the reaction back. */
  react(conversationId: string, target: MessageRef, emoji: string): Promise<void> {
    return this.sendEvent(conversationId, 'reaction', emoji, target);
  }

  /** EVT6: replace the text of one of our messages, for everyone. */
  edit(conversationId: string, target: MessageRef, text: string): Promise<void> {
    return this.sendEvent(conversationId, 'edit', text, target);
  }

  /** EVT6: delete one of our messages for everyone. */
  deleteForEveryone(conversationId: string, target: MessageRef): Promise<void> {
    return this.sendEvent(conversationId, 'delete', '', target);
  }

  private async sendEvent(conversationId: string, kind: 'reaction' | 'edit' | 'delete', body: string, target: MessageRef): Promise<void> {
    await (await this.ready()).composer.send(conversationId, body, kind, undefined, undefined, { target });
    this.runner?.kick();
    void this.runner?.requestBackgroundSync();
    await this.refreshSummaries(true);
  }

  /** EVT2: turn read receipts on or off, both ways. */
  async setReadReceipts(on: boolean): Promise<void> {
    await setReadReceipts(this.db!, on);
    this.readReceipts = on;
    this.changed();
    if (on && this.viewing) void this.sendReads(this.viewing);
  }

  /** TYP8: turn typing indicators on or off, both ways. */
  async setTypingIndicators(on: boolean): Promise<void> {
    await setTypingIndicators(this.db!, on);
    this.typingIndicators = on;
    this.typing?.setEnabled(on);
    this.changed();
  }

  /** What typing.ts needs from this device: its Device, the database and the socket (TYP8: only when online). */
  async typingDevice(): Promise<{ device: Device; db: Db; me: string; send: (conversationId: string, sealed: string) => boolean; online: () => boolean }> {
    const device = await this.ready();
    return {
      device, db: this.db!, me: this.me!.userId,
      send: (c, sealed) => this.realtime?.sendTyping(c, sealed) ?? false,
      online: () => this.connection === 'online' && globalThis.navigator?.onLine !== false,
    };
  }

  private sendingReads: Promise<void> = Promise.resolve();

  /** EVT2: a read receipt for the messages of others not yet acknowledged as read, when read receipts are on. */
  private sendReads(conversationId: string): Promise<void> {
    const run = this.sendingReads.then(async () => {
      if (!this.readReceipts || !this.online || !this.reading) return;
      if (this.summaries.find((s) => s.conversationId === conversationId)?.request !== 'accepted') return;
      const refs = (await this.reading.views.readsToSend(conversationId)).slice(-MAX_READ_REFS);
      if (refs.length === 0) return;
      try {
        await (await this.ready()).composer.send(conversationId, '', 'read', refs);
        this.runner?.kick();
      } catch {
        // sending paused (a key to review): no read receipt until then, as for any message
      }
    });
    this.sendingReads = run.catch(() => undefined);
    return run;
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
   * The caller offers the result as a download, then `keyFileSaved`; the device keeps it
   * sealed only as the copy a linked device receives (LINK4).
   */
  async newKeyFile(keyFileText: string | null, passphrase: string, newPassphrase: string): Promise<string> {
    const { rewrapKeyFile, RewrapError } = await import('./keyfile-ops.ts');
    const source = keyFileText ?? this.unsavedKeyFile;
    if (!source) throw new RewrapError('not-a-key-file', 'Choose your current key file first.');
    const made = await rewrapKeyFile(source, passphrase, newPassphrase, this.me!.public);
    // LINK4: the newest key file is the one a linked device receives.
    await saveSealedKeyFile(this.db!, made);
    this.me = (await loadIdentity(this.db!)) ?? this.me;
    return made;
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
