// Devices for the hardening suites: a PwaClient (the product's own client classes) whose
// every answer from the in-process service passes through the test's lies and gates, with
// the traffic it saw, and the few read-outs the suites check after each attack.
import { expect } from 'vitest';
import type { Server } from '@hapi/hapi';
import type { Identity } from '../../../protocol/src/index.ts';
import { getLog } from '../../../pwa/src/stores/log.ts';
import { identity, type Name } from '../../support/identities.ts';
import { lyingFetch, type Lie, type Traffic } from './lying-server.ts';
import { PwaClient } from './pwa-client.ts';

/** One of testConfig()'s origins. */
export const BASE = 'http://localhost:0';

/** Run once before the request to `path` is answered (a test's way to act in the middle of a pull). */
export interface Gate { path: string; run: () => Promise<void> }
export interface Device { client: PwaClient; lies: Lie[]; traffic: Traffic[]; gates: Gate[]; id: Identity }

/** A device with the keys of `keys` under `userId`, registered and logged in unless told otherwise. */
export async function createDevice(server: Server, keys: Name, userId: string, opts: { register?: boolean; login?: boolean } = {}): Promise<Device> {
  const lies: Lie[] = [];
  const traffic: Traffic[] = [];
  const gates: Gate[] = [];
  const id = await identity(keys, userId);
  const lying = lyingFetch(server, lies, traffic);
  const gated = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const path = new URL(String(input), BASE).pathname;
    const k = gates.findIndex((g) => g.path === path);
    if (k >= 0) await gates.splice(k, 1)[0]!.run();
    return lying(input, init);
  }) as typeof fetch;
  const client = await PwaClient.create(id, BASE, { fetch: gated });
  if (opts.register !== false) await client.register();
  if (opts.login !== false) await client.login();
  return { client, lies, traffic, gates, id };
}

/** Alice starts a conversation with Bob and both have its keys; Bob's lies apply from his first pull. */
export async function createPair(server: Server, tag: string, bobLies: Lie[] = []): Promise<{ alice: Device; bob: Device; cid: string }> {
  const alice = await createDevice(server, 'alice', `alice-${tag}`);
  const bob = await createDevice(server, 'bob', `bob-${tag}`);
  bob.lies.push(...bobLies);
  const cid = await alice.client.composer.startConversation(bob.id.userId);
  await bob.client.pull();
  return { alice, bob, cid };
}

/** Send `body` and flush the outbox, which must succeed; the message's client id. */
export async function send(d: Device, cid: string, body: string): Promise<string> {
  const row = await d.client.composer.send(cid, body);
  expect(await d.client.flush()).toMatchObject({ ok: true });
  return row.clientMessageId;
}

/** The problem stored with each log entry of `cid`, in order (null: it opened). */
export async function problems(d: Device, cid: string): Promise<(string | null)[]> {
  return (await getLog(d.client.db, cid)).map((r) => r.check.problem);
}

/** Every warning code the views show for `cid`. */
export async function warnings(d: Device, cid: string): Promise<string[]> {
  return (await d.client.views.messages(cid)).flatMap((v) => v.warnings.map((w) => w.code));
}

/** The bodies the views show for `cid` (messages that did not open are left out). */
export async function bodies(d: Device, cid: string): Promise<(string | null)[]> {
  return (await d.client.views.messages(cid)).filter((v) => v.body !== null).map((v) => v.body);
}
