// What a signed-in device needs to show its conversations, offline: the keys, the views of
// the log, the requests' classification. messenger.ts builds these for the first paint and
// loads the rest of the Device (ingest, composing, sync: online.ts) after it; the Device
// then shares them (device.ts).
import type { Identity, PublicIdentity } from '../../../protocol/src/index.ts';
import type { Db } from '../stores/db.ts';
import type { Api } from './api.ts';
import { Keyring } from './keyring.ts';
import { Requests } from './requests.ts';
import { Views } from './views.ts';

export interface Reading {
  keyring: Keyring;
  views: Views;
  requests: Requests;
}

export function reading(p: { db: Db; api: Api; identity: Identity; previousKeys?: readonly PublicIdentity[] }): Reading {
  const keyring = new Keyring(p.identity, p.previousKeys);
  return { keyring, views: new Views({ db: p.db, keyring }), requests: new Requests({ db: p.db, api: p.api, keyring }) };
}
