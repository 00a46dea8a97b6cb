// Message requests (THREATS L3): a conversation opened by someone the user never talked to
// waits as a request (no unread badge, no delivery receipts) until the user accepts it
// (a normal conversation), ignores it (hidden, kept, found again under "Hidden") or blocks
// its sender (hidden; the service refuses new conversations from them; their messages after
// the block are not shown). "Talked to": someone in a conversation the user accepted.
import type { Db } from '../stores/db.ts';
import { getEpochs, listConversations } from '../stores/conversations.ts';
import { getLog } from '../stores/log.ts';
import { allRequests, blockedUsers, getRequest, putBlocked, putRequest, type RequestRow, type RequestState } from '../stores/requests.ts';
import type { Api } from './api.ts';
import type { Keyring } from './keyring.ts';

export class Requests {
  private readonly db: Db;
  private readonly api: Api;
  private readonly keyring: Keyring;
  private classifying: Promise<Map<string, RequestRow>> | null = null;
  /**
   * Conversations not to decide yet: a restore still replaying their logs (issue 18). Deciding
   * on a half-stored log would miss that the user wrote in it and keep it a request for good.
   */
  undecided: (conversationId: string) => boolean = () => false;

  constructor(p: { db: Db; api: Api; keyring: Keyring }) {
    this.db = p.db;
    this.api = p.api;
    this.keyring = p.keyring;
  }

  private get me(): string {
    return this.keyring.me;
  }

  /**
   * Every conversation's state, deciding (once, then kept) for those not decided yet, oldest
   * first so that an earlier accepted conversation makes its members contacts. A conversation
   * none of whose epochs could be opened yet is left undecided (and shown as a request).
   */
  classify(): Promise<Map<string, RequestRow>> {
    this.classifying ??= this.classifyNow().finally(() => { this.classifying = null; });
    return this.classifying;
  }

  private async classifyNow(): Promise<Map<string, RequestRow>> {
    const states = await allRequests(this.db);
    const convs = (await listConversations(this.db)).filter((c) => !states.has(c.conversationId) && !this.undecided(c.conversationId));
    if (convs.length === 0) return states;
    const contacts = new Set<string>();
    const all = await listConversations(this.db);
    for (const c of all) if (states.get(c.conversationId)?.state === 'accepted') for (const m of c.members) contacts.add(m);
    const blocked = await blockedUsers(this.db);
    convs.sort((a, b) => a.createdAt - b.createdAt);
    for (const c of convs) {
      const epochs = (await getEpochs(this.db, c.conversationId)).sort((a, b) => a.epoch - b.epoch);
      const first = epochs.find((e) => e.members.some((m) => m.userId === this.me));
      if (!first) continue;
      const from = first.record.creator;
      let state: RequestState = from === this.me || contacts.has(from) ? 'accepted' : blocked.has(from) ? 'blocked' : 'request';
      // The user wrote in it (from another device, or before a restore): taken in already.
      if (state === 'request' && (await this.wroteIn(c.conversationId))) state = 'accepted';
      const row: RequestRow = { state, from, at: Date.now() };
      await putRequest(this.db, c.conversationId, row);
      states.set(c.conversationId, row);
      if (state === 'accepted') for (const m of c.members) contacts.add(m);
    }
    return states;
  }

  private async wroteIn(conversationId: string): Promise<boolean> {
    return (await getLog(this.db, conversationId)).some((r) => r.kind === 'message' && r.check.ok && (r.body as { sender?: unknown } | null)?.sender === this.me);
  }

  /** Whether the conversation is one the user took in (receipts and badges only then). */
  async accepted(conversationId: string): Promise<boolean> {
    return (await this.classify()).get(conversationId)?.state === 'accepted';
  }

  private async decide(conversationId: string, state: RequestState): Promise<RequestRow> {
    const cur = (await getRequest(this.db, conversationId)) ?? { state: 'request', from: null, at: 0 };
    const row: RequestRow = { ...cur, state, at: Date.now() };
    await putRequest(this.db, conversationId, row);
    return row;
  }

  accept(conversationId: string): Promise<RequestRow> {
    return this.decide(conversationId, 'accepted');
  }

  ignore(conversationId: string): Promise<RequestRow> {
    return this.decide(conversationId, 'ignored');
  }

  /**
   * Block whoever opened the conversation: told to the service first (so it refuses their new
   * conversations), then kept here (their messages after now are not shown).
   */
  async block(conversationId: string): Promise<RequestRow> {
    await this.classify();
    const from = (await getRequest(this.db, conversationId))?.from;
    if (!from || from === this.me) return this.decide(conversationId, 'ignored');
    await this.api.block(from);
    await putBlocked(this.db, from, Date.now());
    return this.decide(conversationId, 'blocked');
  }
}
