// A PWA device driven in Node: a thin driver over the PRODUCT's own classes on
// fake-indexeddb. Login is the product's Session (pwa/src/services/session.ts), pull is
// the product's Sync (sync.ts), restore is the product's restoreAll (restore.ts), and
// the device's services are the product's Device (device.ts: Composer, Ingest, Views,
// Directory), the same wiring Messenger uses. Only the page glue is left out: the
// realtime socket, the outbox runner's timers, the DOM and the service worker.
import 'fake-indexeddb/auto';
import type { Identity } from '../../../protocol/src/index.ts';
import { Api, type LogEntry } from '../../../pwa/src/services/api.ts';
import { Device } from '../../../pwa/src/services/device.ts';
import type { IngestReport } from '../../../pwa/src/services/ingest.ts';
import { registerAccount } from '../../../pwa/src/services/onboarding.ts';
import { flushOutbox, type FlushOutcome } from '../../../pwa/src/services/outbox-flush.ts';
import { restoreAll, type RestoreProgress, type RestoreSummary } from '../../../pwa/src/services/restore.ts';
import { Session } from '../../../pwa/src/services/session.ts';
import { openDatabase, type Db } from '../../../pwa/src/stores/db.ts';

let counter = 0;

export class PwaClient {
  readonly api: Api;
  readonly session: Session;
  /** The device's services, as Messenger wires them. */
  device: Device;

  private constructor(
    readonly identity: Identity,
    readonly db: Db,
    readonly baseUrl: string,
    readonly origin: string,
    readonly fetchImpl: typeof fetch,
  ) {
    this.api = new Api({ baseUrl, token: () => this.session.token, fetch: fetchImpl });
    this.session = new Session({ api: this.api, db: () => db, origin, deviceName: 'hardening test' });
    this.device = this.wire();
  }

  private wire(): Device {
    const device = new Device({ db: this.db, api: this.api, identity: this.identity });
    // Delivery receipts are sent explicitly by the tests that need them, so every seq a
    // test expects is under its control (Messenger seals them after each pull).
    device.sync.acknowledge = false;
    return device;
  }

  /**
   * A device for `identity` talking to `baseUrl` (the service, or a lying proxy in
   * front of it). `fetchImpl` lets a test rewrite answers in flight; `origin` is the
   * page origin the device believes it runs on (what login proofs are signed over).
   */
  static async create(identity: Identity, baseUrl: string, opts: { origin?: string; fetch?: typeof fetch } = {}): Promise<PwaClient> {
    const db = await openDatabase(`hardening-${identity.userId}-${process.pid}-${++counter}`);
    return new PwaClient(identity, db, baseUrl, opts.origin ?? baseUrl, opts.fetch ?? ((...a) => fetch(...a)));
  }

  get composer() {
    return this.device.composer;
  }

  get views() {
    return this.device.views;
  }

  get directory() {
    return this.device.directory;
  }

  get token(): string | undefined {
    return this.session.token;
  }

  /** The product's onboarding step 3 (registration; a retry after a lost answer is fine). */
  register(userName: string = this.identity.userId): Promise<void> {
    return registerAccount(this.api, { userName, identity: this.identity, keyFile: '' });
  }

  /** The product's login (Session.login): signs our own origin, never one the server names (T1). */
  async login(): Promise<void> {
    await this.session.login(this.identity);
  }

  /** The product's restore after the key file is opened: login, adopt, replay the whole log (T4). */
  restore(onProgress: (p: RestoreProgress) => void = () => undefined): Promise<RestoreSummary> {
    return restoreAll(
      {
        db: this.db, api: this.api, session: this.session,
        adopt: async (identity) => {
          await this.session.adopt(identity, identity.userId, Date.now());
          this.device = this.wire();
          return this.device;
        },
      },
      this.identity, onProgress,
    );
  }

  /** The product's pull (Sync.pull): sync from the cursors until nothing more, verifying everything. */
  pull(): Promise<IngestReport> {
    return this.device.sync.pull({ live: true });
  }

  /** Feed entries as the realtime socket would. */
  ingest(entries: LogEntry[]): Promise<IngestReport> {
    return this.device.ingest.ingest(entries, { live: true, viewing: null });
  }

  flush(): Promise<FlushOutcome> {
    return flushOutbox(this.db, { baseUrl: this.baseUrl, fetch: this.fetchImpl });
  }

  close(): void {
    this.db.close();
  }
}
