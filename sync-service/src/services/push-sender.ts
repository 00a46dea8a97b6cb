import type { Agent } from 'node:https';
import webpush from 'web-push';
import type { VapidKeys } from '../config.ts';
import type { PushTarget } from '../db/push-subscriptions.ts';
import type { StoredEntry } from './append-queue.ts';

/**
 * SPEC NOTE1: the one payload every push carries, encrypted to the browser (RFC 8291,
 * aes128gcm) by web-push: it says only that there are new messages. No sender, no
 * conversation, no text, no count: the push service (the browser vendor's) and anyone who
 * breaks the encryption learn nothing but the time. The app reads the rest over its own
 * authenticated connection.
 */
export const PUSH_PAYLOAD = JSON.stringify({ v: 1, type: 'new-messages' });

/** RFC 8030 Topic: a push service keeps one undelivered "new messages" per subscription, not one per message. */
const TOPIC = 'new-messages';

export interface PushSenderOptions {
  /** Conversations waiting for their subscriptions to be read; beyond this, entries are dropped (and counted). */
  maxPendingConversations: number;
  /** Pushes waiting to be sent (one per subscription: a subscription already waiting is not queued twice). */
  maxQueued: number;
  /** Pushes in flight at once. */
  concurrency: number;
  /** How long the push service may keep a push for an offline browser (RFC 8030 TTL), seconds. */
  ttlSeconds: number;
  /** Per request, ms. */
  timeoutMs: number;
  /** Tests: an agent that trusts the fake push service's certificate. */
  agent?: Agent;
}

const DEFAULTS: PushSenderOptions = { maxPendingConversations: 10_000, maxQueued: 10_000, concurrency: 8, ttlSeconds: 24 * 3600, timeoutMs: 10_000 };

export interface PushSenderDeps {
  vapid: VapidKeys;
  targets(conversationIds: string[], senderPks: number[]): Promise<PushTarget[]>;
  /** The push service answered 404 or 410: the subscription is gone for good. */
  removeEndpoint(endpoint: string): Promise<void>;
  log?(message: string): void;
}

/**
 * Web Push after commit, off the append path: `onStored` (called by the append queue after
 * each commit, before the requests are answered) only records which conversations got
 * entries from whom, in bounded memory, and returns. A single look-up at a time reads the
 * subscriptions to wake (db push-subscriptions/targets.sql) for everything recorded since the
 * last one, and at most `concurrency` pushes are in flight. Nothing is retried: a push is a
 * hint, the app reads its messages over its own connection; the Topic lets the push
 * service coalesce. Stale subscriptions (404/410) are deleted.
 */
export class PushSender {
  private readonly options: PushSenderOptions;
  /** conversation id -> sender pks with entries not looked up yet */
  private pending = new Map<string, Set<number>>();
  private looking = false;
  /** endpoint -> target, waiting to be sent */
  private readonly queue = new Map<string, PushTarget>();
  private inFlight = 0;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  /** Counters since start (tests, logs). */
  readonly stats = { sent: 0, failed: 0, gone: 0, dropped: 0, lookups: 0 };

  constructor(private readonly deps: PushSenderDeps, options: Partial<PushSenderOptions> = {}) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** After a commit: remember, never wait. */
  onStored(entries: readonly StoredEntry[]): void {
    if (this.closed) return;
    for (const e of entries) {
      let senders = this.pending.get(e.conversationId);
      if (!senders) {
        if (this.pending.size >= this.options.maxPendingConversations) {
          this.stats.dropped++;
          continue;
        }
        senders = new Set();
        this.pending.set(e.conversationId, senders);
      }
      senders.add(e.senderPk);
    }
    this.pump();
  }

  /** Resolves when nothing is pending, being looked up, queued or in flight (tests; shutdown). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stop taking entries; resolves when what was accepted is sent. */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }

  private isIdle(): boolean {
    return this.pending.size === 0 && !this.looking && this.queue.size === 0 && this.inFlight === 0;
  }

  private settle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private pump(): void {
    if (!this.looking && this.pending.size > 0) void this.lookUp();
    while (this.inFlight < this.options.concurrency && this.queue.size > 0) {
      const [endpoint, target] = this.queue.entries().next().value as [string, PushTarget];
      this.queue.delete(endpoint);
      this.inFlight++;
      void this.send(target).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
    this.settle();
  }

  private async lookUp(): Promise<void> {
    this.looking = true;
    const batch = this.pending;
    this.pending = new Map();
    const conversationIds: string[] = [];
    const senderPks: number[] = [];
    for (const [c, senders] of batch) for (const s of senders) {
      conversationIds.push(c);
      senderPks.push(s);
    }
    try {
      this.stats.lookups++;
      const targets = await this.deps.targets(conversationIds, senderPks);
      for (const t of targets) {
        if (this.queue.has(t.endpoint)) continue;
        if (this.queue.size >= this.options.maxQueued) {
          this.stats.dropped++;
          continue;
        }
        this.queue.set(t.endpoint, t);
      }
    } catch (error) {
      this.stats.failed++;
      this.deps.log?.(`push: could not read subscriptions: ${(error as Error).message}`);
    } finally {
      this.looking = false;
      this.pump();
    }
  }

  private async send(target: PushTarget): Promise<void> {
    const { vapid } = this.deps;
    try {
      await webpush.sendNotification({ endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } }, PUSH_PAYLOAD, {
        vapidDetails: { subject: vapid.subject, publicKey: vapid.publicKey, privateKey: vapid.privateKey },
        TTL: this.options.ttlSeconds,
        topic: TOPIC,
        urgency: 'normal',
        contentEncoding: 'aes128gcm',
        timeout: this.options.timeoutMs,
        ...(this.options.agent ? { agent: this.options.agent } : {}),
      });
      this.stats.sent++;
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 404 || status === 410) {
        this.stats.gone++;
        await this.deps.removeEndpoint(target.endpoint).catch(() => undefined);
      } else {
        this.stats.failed++;
        // The endpoint names the browser's subscription: logged by host only.
        this.deps.log?.(`push: ${safeHost(target.endpoint)} answered ${status ?? (error as Error).message}`);
      }
    }
  }
}

function safeHost(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return '?';
  }
}

/** SECURITY.md NOTE4: an https endpoint on one of the allowed push service hosts (or a subdomain). */
export function allowedEndpoint(endpoint: string, hosts: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' || url.username || url.password) return false;
  const host = url.hostname.toLowerCase();
  return hosts.some((h) => host === h || host.endsWith(`.${h}`));
}
