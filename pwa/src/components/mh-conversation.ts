import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { MessengerController } from '../controllers/messenger-controller.ts';
import type { EventView, MessageView } from '../services/views.ts';
import type { RequestState } from '../stores/requests.ts';
import { blockText, eventText, plainError, warningText, type BlockReason } from '../services/warnings.ts';
import { shared } from '../styles/shared.ts';
import './mh-members.ts';
import './mh-attach.ts';
import './mh-attachment.ts';

const stamp = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', day: 'numeric', month: 'short' });
const STATE_TEXT: Record<string, string> = { queued: 'Queued', sent: 'Sent', delivered: 'Delivered', failed: 'Not sent', received: '' };

/** One conversation: messages with state, compose time and inline warnings; the composer. */
export class MhConversation extends LitElement {
  static override styles = [
    shared,
    css`
      :host { display: flex; flex-direction: column; height: calc(100vh - 3.6rem); }
      .head { display: flex; gap: 0.5rem; align-items: center; flex-wrap: wrap; padding: 0.5rem 0.75rem; border-bottom: 1px solid var(--mh-border); }
      .head h2 { margin: 0; flex: 1; font-size: 1.1rem; }
      .log { flex: 1; overflow-y: auto; padding: 0.75rem; }
      ol { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 0.5rem; }
      li.msg { max-width: min(36rem, 85%); padding: 0.5rem 0.75rem; border-radius: 0.75rem; background: var(--mh-theirs); align-self: flex-start; }
      li.msg.mine { background: var(--mh-mine); align-self: flex-end; }
      li.warn-only { align-self: stretch; max-width: none; background: none; padding: 0; }
      li.event { align-self: center; text-align: center; font-size: 0.85rem; color: var(--mh-muted); }
      li.event p { margin: 0.1rem 0; }
      .body { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }
      .meta { font-size: 0.8rem; color: var(--mh-muted); margin-top: 0.25rem; display: flex; gap: 0.5rem; }
      .sender { font-size: 0.8rem; font-weight: 700; margin-bottom: 0.15rem; }
      .warning { border-left: 4px solid var(--mh-danger); background: var(--mh-warn-bg); padding: 0.4rem 0.6rem; margin: 0.25rem 0; border-radius: 0.25rem; }
      .composer { border-top: 1px solid var(--mh-border); padding: 0.5rem 0.75rem; }
      .composer .row textarea { flex: 1; }
      .blocked { margin: 0.5rem 0.75rem; }
      @media (max-width: 799px) { :host { height: calc(100vh - 3.6rem); } }
    `,
  ];

  static override properties = {
    conversationId: { type: String },
    _messages: { state: true },
    _events: { state: true },
    _blocked: { state: true },
    _error: { state: true },
    _members: { state: true },
  };

  declare conversationId: string;
  declare _messages: MessageView[];
  declare _events: EventView[];
  declare _blocked: BlockReason | null;
  declare _error: string;
  declare _members: boolean;

  private readonly messenger = new MessengerController(this, () => void this._load());
  private loading = 0;
  private stick = true;

  constructor() {
    super();
    this.conversationId = '';
    this._messages = [];
    this._events = [];
    this._blocked = null;
    this._error = '';
    this._members = false;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('conversationId')) {
      this._messages = [];
      this._events = [];
      this._error = '';
      this._members = false;
      this.stick = true;
      void this._load();
    }
  }

  private async _load(): Promise<void> {
    const m = this.messenger.value;
    if (!m || !this.conversationId || m.phase !== 'ready') return;
    const ticket = ++this.loading;
    const [messages, events, blocked] = await Promise.all([m.messages(this.conversationId), m.events(this.conversationId), m.blockedReason(this.conversationId)]);
    if (ticket !== this.loading) return;
    const log = this.renderRoot.querySelector('.log');
    this.stick = !log || log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    this._messages = messages;
    this._events = events;
    this._blocked = blocked;
  }

  protected override updated(): void {
    if (this.stick) {
      const log = this.renderRoot.querySelector('.log');
      if (log) log.scrollTop = log.scrollHeight;
    }
  }

  private _nav(detail: unknown): void {
    this.dispatchEvent(new CustomEvent('mh-navigate', { detail, bubbles: true, composed: true }));
  }

  private async _send(): Promise<void> {
    const input = this.renderRoot.querySelector('#composer') as HTMLTextAreaElement;
    const text = input.value;
    if (!text.trim()) return;
    this._error = '';
    // Clear at once, so the next message can be typed while this one is being sealed.
    input.value = '';
    try {
      await this.messenger.value!.send(this.conversationId, text);
      this.stick = true;
      await this._load();
    } catch (err) {
      if (!input.value) input.value = text;
      this._error = plainError(err);
    }
    input.focus();
  }

  private _onKey(e: KeyboardEvent): void {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void this._send();
    }
  }

  override render() {
    const m = this.messenger.value;
    const summary = m?.summaries.find((s) => s.conversationId === this.conversationId);
    const others = summary?.others ?? [];
    const title = others.join(', ') || 'Conversation';
    const alert = summary?.blocked?.code === 'membership-alert';
    return html`
      <div class="head">
        <button class="secondary" data-testid="back-to-list" @click=${() => this._nav({ name: 'list' })} aria-label="Back to conversations">←</button>
        <h2 data-testid="conversation-title">${title}</h2>
        ${others.map(
          (u) => html`<button class="secondary" data-testid="open-safety-number" data-user=${u}
            @click=${() => this._nav({ name: 'contact', userId: u, from: this.conversationId })}>Safety number${others.length > 1 ? ` (${u})` : ''}</button>`,
        )}
        <button class="secondary" data-testid="open-members" aria-expanded=${this._members ? 'true' : 'false'} aria-controls="members"
          @click=${() => { this._members = !this._members; }}>Members</button>
      </div>
      ${this._members
        ? html`<mh-members id="members" role="region" aria-label="Members" data-testid="members-panel" .conversationId=${this.conversationId}
            ?readOnly=${this._blocked?.code === 'removed' || (!!summary && summary.request !== 'accepted')}></mh-members>`
        : nothing}
      ${summary && summary.request !== 'accepted' ? this._renderRequest(summary.request, others) : nothing}
      ${this._blocked
        ? html`<div class="notice blocked" role="alert" data-testid="sending-blocked">
            <p>${blockText(this._blocked)}</p>
            ${alert
              ? html`<button class="secondary" data-testid="review-membership" @click=${() => m?.dismissMembershipAlert(this.conversationId)}>
                  I have seen this: keep the current members</button>`
              : others.map((u) => html`<button class="secondary" data-testid="review-key" data-user=${u}
                  @click=${() => this._nav({ name: 'contact', userId: u, from: this.conversationId })}>Review ${u}'s key</button>`)}
          </div>`
        : nothing}
      <section class="log" role="log" aria-label="Messages with ${title}" tabindex="0" data-testid="message-log">
        <ol>
          ${repeat(this._timeline(), (item) => item.id, (item) => ('events' in item ? this._renderEvent(item) : this._renderMessage(item)))}
        </ol>
      </section>
      ${summary && summary.request !== 'accepted' ? nothing : html`<form class="composer" @submit=${(e: Event) => { e.preventDefault(); void this._send(); }}>
        <label for="composer" class="sr-only">Message</label>
        ${this._error ? html`<p class="error" role="alert" data-testid="composer-error">${this._error}</p>` : nothing}
        <div class="row">
          <textarea id="composer" rows="1" placeholder="Write a message" data-testid="composer-input" @keydown=${this._onKey}
            ?disabled=${!!this._blocked}></textarea>
          <mh-attach .conversationId=${this.conversationId} ?disabled=${!!this._blocked} @mh-attached=${() => { this.stick = true; void this._load(); }}></mh-attach>
          <button type="submit" data-testid="composer-send" ?disabled=${!!this._blocked}>Send</button>
        </div>
      </form>`}
    `;
  }

  /** Messages and membership events in log order (queued messages, with no seq yet, last). */
  private _timeline(): (MessageView | EventView)[] {
    const out: (MessageView | EventView)[] = [];
    let e = 0;
    for (const msg of this._messages) {
      while (e < this._events.length && msg.seq !== null && this._events[e]!.seq < msg.seq) out.push(this._events[e++]!);
      while (e < this._events.length && msg.seq === null) out.push(this._events[e++]!);
      out.push(msg);
    }
    out.push(...this._events.slice(e));
    return out;
  }

  private _renderEvent(ev: EventView) {
    const me = this.messenger.value?.me?.userId ?? '';
    return html`<li class="event" data-testid="membership-event" data-seq=${ev.seq} data-epoch=${ev.epoch} data-by=${ev.by}>
      ${ev.events.map((x) => html`<p data-kind=${x.code} data-user=${'userId' in x ? x.userId : ''}>${eventText(x, me)}</p>`)}
    </li>`;
  }

  /** THREATS L3: a conversation from someone the user never talked to waits for a decision. */
  private _renderRequest(state: RequestState, others: string[]) {
    const m = this.messenger.value!;
    const who = others.join(', ') || 'Someone';
    const act = (fn: () => Promise<void>, leave: boolean) => async () => {
      this._error = '';
      try {
        await fn();
        if (leave) this._nav({ name: 'list' });
      } catch (err) {
        this._error = plainError(err);
      }
    };
    return html`<div class="notice" role="region" aria-label="Message request" data-testid="message-request" data-state=${state}>
      <p>${state === 'request'
        ? html`<strong>${who}</strong> wants to start a conversation with you. You have not talked before: they are not told you read it until you accept.`
        : state === 'blocked' ? html`You blocked ${who}. Nothing they send from now on is shown.` : html`You ignored this conversation.`}</p>
      <div class="row">
        ${state !== 'blocked' ? html`<button data-testid="request-accept" @click=${act(() => m.acceptRequest(this.conversationId), false)}>Accept</button>` : nothing}
        ${state === 'request' ? html`<button class="secondary" data-testid="request-ignore" @click=${act(() => m.ignoreRequest(this.conversationId), true)}>Ignore</button>` : nothing}
        ${state !== 'blocked' ? html`<button class="secondary" data-testid="request-block" @click=${act(() => m.blockRequest(this.conversationId), true)}>Block ${who}</button>` : nothing}
      </div>
      ${this._error ? html`<p class="error" role="alert" data-testid="request-error">${this._error}</p>` : nothing}
    </div>`;
  }

  private _renderMessage(msg: MessageView) {
    const warnings = msg.warnings.map(
      (w) => html`<p class="warning" role="note" data-testid="integrity-warning" data-kind=${w.code}>⚠ ${warningText(w)}</p>`,
    );
    if (msg.body === null) {
      return html`<li class="warn-only" data-testid="message-warning" data-seq=${msg.seq ?? ''}>${warnings}</li>`;
    }
    const when = msg.composedAt ? stamp.format(new Date(msg.composedAt)) : '';
    return html`<li class="msg ${msg.mine ? 'mine' : ''}" data-testid="message" data-message-id=${msg.id} data-state=${msg.state}
      data-mine=${msg.mine ? 'true' : 'false'} data-composed-at=${msg.composedAt ?? ''}>
      ${msg.mine ? nothing : html`<div class="sender">${msg.sender}</div>`}
      ${warnings}
      ${msg.attachment ? html`<mh-attachment .ref=${msg.attachment} .conversationId=${this.conversationId}></mh-attachment>` : nothing}
      <p class="body" data-testid="message-body">${msg.body}</p>
      <div class="meta">
        <time datetime=${msg.composedAt ? new Date(msg.composedAt).toISOString() : ''} data-testid="message-time">${when}</time>
        ${msg.mine ? html`<span data-testid="message-state">${STATE_TEXT[msg.state]}</span>` : nothing}
      </div>
    </li>`;
  }
}
customElements.define('mh-conversation', MhConversation);

declare global {
  interface HTMLElementTagNameMap {
    'mh-conversation': MhConversation;
  }
}
