// The services of one signed-in device, wired together: no DOM, no timers, no sockets,
// so the page (messenger.ts adds the realtime socket, the outbox runner and the state the
// screens read) and Node tests (test/hardening/support/pwa-client.ts) build the same thing.
import type { Identity } from '../../../protocol/src/index.ts';
import type { Db } from '../stores/db.ts';
import type { Api } from './api.ts';
import { Composer } from './composing.ts';
import { DeviceKeys } from './device-key.ts';
import { DeviceRevocations } from './device-revocation.ts';
import { Directory } from './directory.ts';
import { Ingest } from './ingest.ts';
import { Keyring } from './keyring.ts';
import type { Reading } from './reading.ts';
import { Requests } from './requests.ts';
import { Sync, type SyncHooks } from './sync.ts';
import { Views } from './views.ts';

export class Device {
  readonly keyring: Keyring;
  /** This device's own signing key and certificate (DEV1, DEV2). */
  readonly deviceKeys: DeviceKeys;
  /** Revoked devices, this account's and its contacts' (DEV8..DEV10). */
  readonly revocations: DeviceRevocations;
  readonly directory: Directory;
  readonly ingest: Ingest;
  readonly composer: Composer;
  readonly views: Views;
  readonly requests: Requests;
  readonly sync: Sync;

  /**
   * `reading`: the services the page built for its first paint (messenger.ts builds those
   * before it loads the rest of this module's graph), shared rather than built twice.
   */
  constructor(p: { db: Db; api: Api; identity: Identity; hooks?: Partial<SyncHooks>; reading?: Reading }) {
    const { db, api } = p;
    this.keyring = p.reading?.keyring ?? new Keyring(p.identity);
    this.deviceKeys = new DeviceKeys({ db, identity: () => this.keyring.identity, publish: (cert) => api.publishDevice(cert) });
    this.revocations = new DeviceRevocations({ db, api, keyring: this.keyring });
    this.directory = new Directory(db, api);
    this.ingest = new Ingest({ db, directory: this.directory, keyring: this.keyring, deviceKeys: this.deviceKeys, revocations: this.revocations });
    this.composer = new Composer({ db, api, directory: this.directory, keyring: this.keyring, deviceKeys: this.deviceKeys });
    this.views = p.reading?.views ?? new Views({ db, keyring: this.keyring });
    this.requests = p.reading?.requests ?? new Requests({ db, api, keyring: this.keyring });
    const hooks: SyncHooks = { viewing: () => null, kick: () => undefined, ingested: async () => undefined, ...p.hooks };
    this.sync = new Sync({ db, api, ingest: this.ingest, composer: this.composer, requests: this.requests, hooks });
  }
}
