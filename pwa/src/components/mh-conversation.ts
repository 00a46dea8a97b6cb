import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { MessengerController } from '../controllers/messenger-controller.ts';
import type { EventView, MessageView } from '../services/views.ts';
import type { RequestState } from '../stores/requests.ts';
import { LIMITS } from '../../../protocol/src/rules.ts';
import { AppError, blockText, plainError, type BlockReason } from '../services/warnings.ts';
import { EDIT_EMPTY_TEXT, eventText, warningText } from '../services/warning-texts.ts';
import { shared } from '../styles/shared.ts';
import { lazy } from './lazy-screens.ts';
import { who } from './mh-conversation-list.ts';
import { isArchived } from '../stores/flags.ts';
import { identicon } from '../services/identicon.ts';
import { typingFor, type Typing } from '../services/typing.ts';

const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayName = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
const count = new Intl.NumberFormat('en');
/** The counter shows from here on: the last 500 characters before the limit. */
const COUNT_FROM = LIMITS.maxBodyChars - 500;

interface DaySeparator { id: string; day: string }
const STATE_TEXT: Record<string, string> = { queued: 'Queued', sent: 'Sent', delivered: 'Delivered', failed: 'Not sent', received: '' };

/** One conversation: messages with state, compose time and inline warnings; the composer. */
export class MhConversation extends LitElement {
  static override styles = [
    shared,
    css`
      :host { display: flex; flex-direction: column; height: calc(100vh - 3.6rem); }
      .head { display: flex; gap: 0.5rem; align-items: center; flex-wrap: wrap; padding: 0.5rem 0.75rem; border-bottom: 1px solid var(--mh-border); }
      .head h2 { margin: 0; flex: 1; min-width: 0; font-size: 1.1rem; display: flex; flex-wrap: wrap; align-items: center; column-gap: 0.35rem; overflow-wrap: anywhere; }
      /* One person or a group: one line, a long name cut with "…" (the user id always shows
         whole, THREATS L10; the full name is on the contact's screen). A 64-character display
         name took four lines of a phone. */
      .head h2.one { flex-wrap: nowrap; }
      .head h2.one bdi, .head h2 .clip { min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      .actions { display: flex; gap: 0.4rem; flex-wrap: wrap; }
      .more { display: none; }
      /* A phone: the name keeps the header's row; the actions open under it from "⋯" (a
         disclosure) instead of wrapping around the name in two rows. */
      @media (max-width: 599px) {
        .more { display: inline-flex; }
        .actions { flex-basis: 100%; }
        .actions:not(.open) { display: none; }
      }
      .uid { font-weight: 400; color: var(--mh-muted); }
      .identicon { border-radius: 0.2rem; }
      .log { flex: 1; overflow-y: auto; padding: 0.75rem; }
      ol { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 0.5rem; }
      li.msg { max-width: min(36rem, 85%); padding: 0.5rem 0.75rem; border-radius: 0.75rem; background: var(--mh-theirs); align-self: flex-start; }
      li.msg.mine { background: var(--mh-mine); align-self: flex-end; }
      li.msg.found { outline: 3px solid var(--mh-accent); outline-offset: 2px; }
      li.warn-only { align-self: stretch; max-width: none; background: none; padding: 0; }
      li.event { align-self: center; text-align: center; font-size: 0.85rem; color: var(--mh-muted); }
      li.event p { margin: 0.1rem 0; }
      .body { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }
      .meta { font-size: 0.8rem; color: var(--mh-muted); margin-top: 0.25rem; display: flex; gap: 0.5rem; flex-wrap: wrap; align-items: center; }
      .sender { font-size: 0.8rem; font-weight: 700; margin-bottom: 0.15rem; }
      .warning { border-left: 4px solid var(--mh-danger); background: var(--mh-warn-bg); padding: 0.4rem 0.6rem; margin: 0.25rem 0; border-radius: 0.25rem; }
      .composer { border-top: 1px solid var(--mh-border); padding: 0.5rem 0.75rem; }
      .composer .row { align-items: flex-end; }
      .composer .row textarea { flex: 1; resize: none; max-height: 40vh; overflow-y: auto; }
      .count { font-size: 0.85rem; margin: 0.25rem 0 0; text-align: end; }
      .count.over { color: var(--mh-danger-text); font-weight: 700; }
      li.day { align-self: center; font-size: 0.8rem; color: var(--mh-muted); padding: 0.1rem 0.6rem; border-radius: 1rem; background: var(--mh-panel); }
      .verified-badge { font-size: 0.85rem; color: var(--mh-accent-text); font-weight: 700; }
      .blocked { margin: 0.5rem 0.75rem; }
      .quote { border-left: 3px solid var(--mh-border); padding: 0.1rem 0.5rem; margin: 0 0 0.3rem; font-size: 0.9rem; white-space: pre-wrap; overflow-wrap: anywhere; }
      .quote b { display: block; font-size: 0.8rem; }
      .deleted { font-style: italic; }
      .replying { display: flex; gap: 0.5rem; align-items: center; margin-bottom: 0.4rem; }
      .replying .quote { flex: 1; margin: 0; max-height: 4.5em; overflow: hidden; }
      .typing { margin: 0; padding: 0.1rem 0.75rem; min-height: 1.2rem; line-height: 1.2rem; font-size: 0.85rem; color: var(--mh-muted); font-style: italic;
        white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
      @media (max-width: 799px) { :host { height: calc(100vh - 3.6rem); } }
    `,
  ];

  static override properties = {
    conversationId: { type: String },
    focusSeq: { attribute: false },
    _messages: { state: true },
    _events: { state: true },
    _blocked: { state: true },
    _error: { state: true },
    _members: { state: true },
    _count: { state: true },
    _replyTo: { state: true },
    _editing: { state: true },
    _actionsOpen: { state: true },
  };

  declare conversationId: string;
  /** A message to scroll to and mark (a search result), by log seq. */
  declare focusSeq: number | null;
  declare _messages: MessageView[];
  declare _events: EventView[];
  declare _blocked: BlockReason | null;
  declare _error: string;
  declare _members: boolean;
  declare _count: number;
  /** Protocol §8a: the message the next text replies to, or the one of ours being edited. */
  declare _replyTo: MessageView | null;
  declare _editing: MessageView | null;
  /** At phone width the header's actions sit behind "⋯"; open or not. */
  declare _actionsOpen: boolean;

  private readonly messenger = new MessengerController(this, () => void this._load());
  /** TYP8: who is typing (services/typing.ts, shared by every conversation through the messenger). */
  private typingService: Typing | null = null;
  private readonly onTyping = () => this.requestUpdate();

  private _typing(): Typing | null {
    const m = this.messenger.value;
    if (!m || m.phase !== 'ready' || !m.me) return null;
    const t = typingFor(m);
    if (t !== this.typingService) {
      this.typingService?.removeEventListener('change', this.onTyping);
      this.typingService = t;
      t.addEventListener('change', this.onTyping);
    }
    return t;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.conversationId) this.typingService?.stop(this.conversationId);
    this.typingService?.removeEventListener('change', this.onTyping);
    this.typingService = null;
  }
  private loading = 0;
  private stick = true;
  /** The draft in the composer when an edit began: an edit is not a draft, and the draft comes back after it. */
  private beforeEdit = '';
  /** Draft writes in order (stores/drafts.ts), so an older text never lands after a newer one. */
  private draftWrites: Promise<void> = Promise.resolve();

  constructor() {
    super();
    this.conversationId = '';
    this.focusSeq = null;
    this._messages = [];
    this._events = [];
    this._blocked = null;
    this._error = '';
    this._members = false;
    this._count = 0;
    this._replyTo = null;
    this._editing = null;
    this._actionsOpen = false;
  }

  /** An action chosen from the phone's "⋯" list closes the list (Members opens its panel below). */
  private _closeActionsAfter = (e: Event): void => {
    if ((e.target as Element | null)?.closest('button')) this._actionsOpen = false;
  };

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('conversationId')) {
      // Issue 16, bug 2: the text typed here belongs to the conversation it was typed in.
      const previous = changed.get('conversationId') as string | undefined;
      // TYP8: leaving a conversation ends this device's typing there.
      if (previous) this.typingService?.stop(previous);
      const input = this._input();
      if (input) {
        if (previous) this._keepDraft(previous, this._editing ? this.beforeEdit : input.value);
        input.value = '';
        this._resize(input);
      }
      this._count = 0;
      void this._restoreDraft(this.conversationId);
      this._messages = [];
      this._events = [];
      this._error = '';
      this._members = false;
      this._actionsOpen = false;
      this._replyTo = null;
      this._editing = null;
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
    // TYP8: a message from someone ends the typing they announced before it.
    const typing = this._typing();
    for (const msg of messages) if (!msg.mine && msg.composedAt) typing?.messageFrom(this.conversationId, msg.sender, msg.composedAt);
  }

  /** The seq last scrolled to, so a reload of the messages does not scroll there again. */
  private focused = '';

  protected override updated(): void {
    const want = this.focusSeq ? `${this.conversationId}/${this.focusSeq}` : '';
    const found = want && want !== this.focused ? this.renderRoot.querySelector<HTMLElement>(`li[data-seq="${this.focusSeq}"]`) : null;
    if (found) {
      this.focused = want;
      this.stick = false;
      this.renderRoot.querySelector('li.found')?.classList.remove('found');
      found.classList.add('found');
      found.scrollIntoView({ block: 'center' });
      found.focus({ preventScroll: true });
      return;
    }
    if (want && want !== this.focused) return; // not loaded yet: do not scroll to the end meanwhile
    if (this.stick) {
      const log = this.renderRoot.querySelector('.log');
      if (log) log.scrollTop = log.scrollHeight;
    }
  }

  private _input(): HTMLTextAreaElement | null {
    return this.renderRoot.querySelector('#composer');
  }

  private _keepDraft(conversationId: string, text: string): void {
    const m = this.messenger.value;
    if (!m || !conversationId) return;
    // The messenger writes them in order, the latest text of each conversation (saveDraft).
    this.draftWrites = m.saveDraft(conversationId, text).catch(() => undefined);
  }

  private async _restoreDraft(conversationId: string): Promise<void> {
    const m = this.messenger.value;
    if (!m || !conversationId) return;
    await this.draftWrites;
    const text = await m.draft(conversationId).catch(() => '');
    await this.updateComplete;
    const input = this._input();
    // Typed into meanwhile, or moved on to another conversation: leave it.
    if (!text || conversationId !== this.conversationId || !input || input.value) return;
    input.value = text;
    this._count = text.length;
    this._resize(input);
  }

  private _onInput(e: Event): void {
    const input = e.target as HTMLTextAreaElement;
    this._count = input.value.length;
    this._resize(input);
    if (!this._editing) {
      this._keepDraft(this.conversationId, input.value);
      this._typing()?.input(this.conversationId, input.value);
    }
  }

  /** The composer grows with its text (up to 40% of the screen, then scrolls). */
  private _resize(input: HTMLTextAreaElement): void {
    input.style.height = 'auto';
    if (input.value) input.style.height = `${input.scrollHeight + 2}px`;
  }

  private _nav(detail: unknown): void {
    this.dispatchEvent(new CustomEvent('mh-navigate', { detail, bubbles: true, composed: true }));
  }

  private async _send(): Promise<void> {
    const input = this.renderRoot.querySelector('#composer') as HTMLTextAreaElement;
    const text = input.value;
    if (!text.trim()) {
      // An empty message is simply not sent; an edit emptied on purpose gets told why not.
      if (this._editing) this._error = EDIT_EMPTY_TEXT;
      return;
    }
    this._error = '';
    // Issue 16, bug 1: over the limit, nothing is sent and nothing is lost.
    if (text.length > LIMITS.maxBodyChars) {
      this._error = plainError(new AppError('message-too-long', text.length));
      return;
    }
    const id = this.conversationId;
    this._typing()?.stop(id);
    const replyTo = this._replyTo;
    const editing = this._editing;
    this._replyTo = null;
    this._editing = null;
    // Clear at once, so the next message can be typed while this one is being sealed.
    input.value = '';
    this._count = 0;
    this._resize(input);
    if (!editing) this._keepDraft(id, '');
    try {
      const m = this.messenger.value!;
      if (editing?.hash) await m.edit(id, { id: editing.id, hash: editing.hash }, text);
      else await m.send(id, text, replyTo?.hash ? { id: replyTo.id, hash: replyTo.hash } : undefined);
      this.stick = !editing;
      if (editing && !input.value && id === this.conversationId) this._setInput(input, this.beforeEdit);
      await this._load();
    } catch (err) {
      if (editing && id === this.conversationId) this._editing = editing;
      if (replyTo && id === this.conversationId) this._replyTo = replyTo;
      if (!input.value && id === this.conversationId) {
        input.value = text;
        this._count = text.length;
        this._resize(input);
        if (!editing) this._keepDraft(id, text);
      }
      this._error = plainError(err);
    }
    input.focus();
  }

  private _onKey(e: KeyboardEvent): void {
    if (e.key === 'Escape' && (this._replyTo || this._editing)) this._cancelCompose();
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void this._send();
    }
  }

  private _setInput(input: HTMLTextAreaElement, text: string): void {
    input.value = text;
    this._count = text.length;
    this._resize(input);
  }

  private _cancelCompose(): void {
    const input = this._input();
    if (this._editing && input) this._setInput(input, this.beforeEdit);
    this._replyTo = null;
    this._editing = null;
    input?.focus();
  }

  /** From a message's actions: reply to it, or edit it (one of ours) in the composer. */
  private _compose(e: CustomEvent<MessageView>, edit: boolean): void {
    const input = this._input();
    if (!input) return;
    if (edit && !this._editing) this.beforeEdit = input.value;
    if (!edit && this._editing) this._setInput(input, this.beforeEdit);
    this._replyTo = edit ? null : e.detail;
    this._editing = edit ? e.detail : null;
    if (edit) this._setInput(input, e.detail.body ?? '');
    input.focus();
  }

  override render() {
    const m = this.messenger.value;
    const summary = m?.summaries.find((s) => s.conversationId === this.conversationId);
    const others = summary?.others ?? [];
    const group = summary?.group ?? null;
    const title = group ? (group.name ?? 'Group') : others.join(', ') || 'Conversation';
    const alert = summary?.blocked?.code === 'membership-alert';
    return html`
      <div class="head">
        <button class="secondary" data-testid="back-to-list" @click=${() => this._nav({ name: 'list' })} aria-label="Back to conversations">←</button>
        <h2 data-testid="conversation-title" dir="auto" class=${group || others.length === 1 ? 'one' : ''} data-group=${group ? 'true' : 'false'}>${group || others.length !== 1 ? nothing : identicon(m?.fingerprints.get(others[0]!), 24)}${group || !others.length ? html`<span class="clip">${title}</span>` : others.map((u, i) => html`${i ? ', ' : ''}${who(m?.names, u)}`)}</h2>
        ${summary?.verified ? html`<span class="verified-badge" data-testid="verified-badge">✓ Verified</span>` : nothing}
        <button class="secondary more" data-testid="conversation-more" aria-expanded=${this._actionsOpen ? 'true' : 'false'} aria-controls="conversation-actions"
          aria-label="Conversation options" @click=${() => { this._actionsOpen = !this._actionsOpen; }}>⋯</button>
        <div class="actions ${this._actionsOpen ? 'open' : ''}" id="conversation-actions" @click=${this._closeActionsAfter}>
        ${(group ? [] : others).map(
          (u) => html`<button class="secondary" data-testid="open-safety-number" data-user=${u}
            @click=${() => this._nav({ name: 'contact', userId: u, from: this.conversationId })}>Safety number${others.length > 1 ? ` (${u})` : ''}</button>`,
        )}
        ${summary && summary.request === 'accepted'
          ? html`<button class=${m?.isMuted(this.conversationId) ? '' : 'secondary'} data-testid="mute-toggle" aria-pressed=${m?.isMuted(this.conversationId) ? 'true' : 'false'}
              @click=${() => void m?.setMuted(this.conversationId, !m.isMuted(this.conversationId))}>Mute</button>`
          : nothing}
        ${summary?.request === 'accepted' ? this._flagButtons() : nothing}
        <button class="secondary" data-testid="open-members" aria-expanded=${this._members ? 'true' : 'false'} aria-controls="members"
          @click=${() => { this._members = !this._members; }}>Members</button>
        </div>
      </div>
      ${this._members
        ? html`${lazy('mh-members')}<mh-members id="members" role="region" aria-label="Members" data-testid="members-panel" .conversationId=${this.conversationId}
            ?readOnly=${this._blocked?.code === 'removed' || (!!summary && summary.request !== 'accepted')}></mh-members>`
        : nothing}
      ${summary && summary.request !== 'accepted' ? this._renderRequest(summary.request, others) : nothing}
      ${this._blocked
        ? html`<div class="notice blocked" role="alert" data-testid="sending-blocked">
            <p>${blockText(this._blocked)}</p>
            ${alert
              ? html`<button class="secondary" data-testid="review-membership" @click=${() => m?.dismissMembershipAlert(this.conversationId)}>
                  I have seen this: keep the current members</button>`
              : (this._blocked.code === 'key-changed' ? [this._blocked.userId] : others).map((u) => html`<button class="secondary" data-testid="review-key" data-user=${u}
                  @click=${() => this._nav({ name: 'contact', userId: u, from: this.conversationId })}>Review ${u}'s key</button>`)}
          </div>`
        : nothing}
      <section class="log" role="log" aria-label="Messages with ${title}" tabindex="0" data-testid="message-log"
        @mh-reply=${(e: CustomEvent<MessageView>) => this._compose(e, false)} @mh-edit=${(e: CustomEvent<MessageView>) => this._compose(e, true)}>
        <ol>
          ${repeat(this._withDays(this._timeline()), (item) => item.id, (item) =>
            'day' in item ? html`<li class="day" data-testid="day-separator">${item.day}</li>` : 'events' in item ? this._renderEvent(item) : this._renderMessage(item, !!group || others.length > 1))}
        </ol>
      </section>
      ${this._renderTyping()}
      ${summary && summary.request !== 'accepted' ? nothing : html`<form class="composer" @submit=${(e: Event) => { e.preventDefault(); void this._send(); }}>
        <label for="composer" class="sr-only">Message</label>
        ${this._error ? html`<p class="error" role="alert" data-testid="composer-error">${this._error}</p>` : nothing}
        ${this._replyTo || this._editing
          ? html`<div class="replying" data-testid=${this._editing ? 'editing' : 'replying'}>
              <p class="quote" dir="auto"><b>${this._editing ? 'Editing your message' : `Replying to ${this._replyTo!.mine ? 'yourself' : this._replyTo!.sender}`}</b>${(this._editing ?? this._replyTo)!.body}</p>
              <button type="button" class="secondary" data-testid="compose-cancel" @click=${this._cancelCompose}>Cancel</button>
            </div>`
          : nothing}
        <div class="row">
          <!-- The attach button first, as in most messengers: Tab from the message goes to Send. -->
          ${lazy('mh-attach')}<mh-attach .conversationId=${this.conversationId} ?disabled=${!!this._blocked} @mh-attached=${() => { this.stick = true; void this._load(); }}></mh-attach>
          <textarea id="composer" rows="1" dir="auto" placeholder="Write a message" data-testid="composer-input" @keydown=${this._onKey}
            @input=${this._onInput} ?disabled=${!!this._blocked} aria-describedby=${this._count > COUNT_FROM ? 'composer-count' : nothing}></textarea>
          <button type="submit" data-testid="composer-send" ?disabled=${!!this._blocked}>${this._editing ? 'Save' : 'Send'}</button>
        </div>
        ${this._count > COUNT_FROM
          ? html`<p id="composer-count" class="count ${this._count > LIMITS.maxBodyChars ? 'over' : 'muted'}" data-testid="composer-count" aria-live="polite">
              ${count.format(this._count)} / ${count.format(LIMITS.maxBodyChars)} characters</p>`
          : nothing}
      </form>`}
    `;
  }

  /**
   * TYP8: "alice is typing…" in a polite live region that is always there (one line high,
   * empty when nobody types), so it is announced and the layout does not jump.
   */
  private _renderTyping() {
    const m = this.messenger.value;
    const t = this._typing();
    const typers = m?.typingIndicators && t ? t.typers(this.conversationId) : [];
    const names = typers.map((u) => who(m?.names, u));
    const text = names.length === 0 ? nothing
      : names.length === 1 ? html`${names[0]} is typing…`
        : names.length === 2 ? html`${names[0]} and ${names[1]} are typing…` : html`${names.length} people are typing…`;
    return html`<p class="typing" role="status" aria-live="polite" data-testid="typing-indicator" data-typers=${typers.join(' ')}
      data-sent=${t?.sent ?? 0} data-accepted=${t?.accepted ?? 0} data-ignored=${t?.ignored ?? 0}>${text}</p>`;
  }

  /** Pin and archive (stores/flags.ts): on this device only. */
  private _flagButtons() {
    const m = this.messenger.value!;
    const f = m.flags[this.conversationId];
    const archived = isArchived(f, m.summaries.find((s) => s.conversationId === this.conversationId)?.lastActivity ?? 0);
    return html`<button class="secondary" data-testid="toggle-pin" aria-pressed=${f?.pinned ? 'true' : 'false'}
        @click=${() => m.setPinned(this.conversationId, !f?.pinned)}>Pin</button>
      <button class="secondary" data-testid="toggle-archive" @click=${() => m.setArchived(this.conversationId, !archived)}>${archived ? 'Unarchive' : 'Archive'}</button>`;
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

  /** A separator before the first item of each day (items without a time keep the day they follow). */
  private _withDays(items: (MessageView | EventView)[]): (MessageView | EventView | DaySeparator)[] {
    const out: (MessageView | EventView | DaySeparator)[] = [];
    const seen = new Set<string>();
    for (const item of items) {
      const at = 'composedAt' in item ? item.composedAt : null;
      if (at) {
        const d = new Date(at);
        const key = d.toDateString();
        if (!seen.has(key)) {
          seen.add(key);
          out.push({ id: `day-${key}`, day: key === new Date().toDateString() ? 'Today' : dayName.format(d) });
        }
      }
      out.push(item);
    }
    return out;
  }

  private _renderEvent(ev: EventView) {
    const me = this.messenger.value?.me?.userId ?? '';
    return html`<li class="event" data-testid="membership-event" data-seq=${ev.seq} data-epoch=${ev.epoch} data-by=${ev.by}>
      ${ev.events.map((x) => html`<p data-kind=${x.code} data-user=${'userId' in x ? x.userId : ''} data-change=${'change' in x ? x.change ?? '' : ''}>${eventText(x, me)}</p>`)}
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

  /** In a group, a sent message counts its signed receipts: "Delivered to 3 of 5". */
  private _stateText(msg: MessageView): string {
    const group = this.messenger.value?.summaries.find((s) => s.conversationId === this.conversationId)?.group;
    if (group && msg.delivery && msg.delivery.of > 1 && (msg.state === 'sent' || msg.state === 'delivered') && msg.delivery.to > 0) {
      return `Delivered to ${msg.delivery.to} of ${msg.delivery.of}`;
    }
    return STATE_TEXT[msg.state] ?? '';
  }

  /** EVT2: "Read" (in a group, "Read by 2 of 5"), or nothing. */
  private _readText(msg: MessageView): string {
    const r = msg.read;
    if (!r || r.by === 0) return '';
    return r.of > 1 ? `Read by ${r.by} of ${r.of}` : 'Read';
  }

  private _renderMessage(msg: MessageView, group: boolean) {
    const warnings = msg.warnings.map(
      (w) => html`<p class="warning" role="note" data-testid="integrity-warning" data-kind=${w.code}>⚠ ${warningText(w)}</p>`,
    );
    if (msg.body === null) {
      return html`<li class="warn-only" data-testid="message-warning" data-seq=${msg.seq ?? ''}>${warnings}</li>`;
    }
    const when = msg.composedAt ? clock.format(new Date(msg.composedAt)) : '';
    return html`<li class="msg ${msg.mine ? 'mine' : ''}" data-testid="message" data-message-id=${msg.id} data-seq=${msg.seq ?? ''} tabindex="-1" data-state=${msg.state}
      data-mine=${msg.mine ? 'true' : 'false'} data-composed-at=${msg.composedAt ?? ''}>
      ${msg.mine || !group ? nothing : html`<div class="sender" dir="auto">${msg.sender}</div>`}
      ${warnings}
      ${msg.attachment ? html`${lazy('mh-attachment')}<mh-attachment .ref=${msg.attachment} .conversationId=${this.conversationId}></mh-attachment>` : nothing}
      ${msg.replyTo
        ? html`<p class="quote" data-testid="quote" data-state=${msg.replyTo.state} dir="auto">${msg.replyTo.state === 'shown'
            ? html`<b>${msg.replyTo.sender === this.messenger.value?.me?.userId ? 'You' : msg.replyTo.sender}</b>${msg.replyTo.body}`
            : msg.replyTo.state === 'deleted' ? 'This message was deleted' : 'Message not available'}</p>`
        : nothing}
      ${msg.deleted
        ? html`<p class="body deleted" data-testid="message-deleted">This message was deleted</p>`
        : html`<p class="body" data-testid="message-body" dir="auto">${linkify(msg.body)}</p>`}
      <div class="meta">
        <time datetime=${msg.composedAt ? new Date(msg.composedAt).toISOString() : ''} data-testid="message-time">${when}</time>
        ${msg.edited ? html`<span data-testid="message-edited">edited</span>` : nothing}
        ${msg.mine ? html`<span data-testid="message-state" data-delivered-to=${msg.delivery?.to ?? ''}>${this._stateText(msg)}</span>` : nothing}
        ${this._readText(msg) ? html`<span data-testid="message-read" data-read-by=${msg.read!.by}>${this._readText(msg)}</span>` : nothing}
        ${msg.hash && !msg.deleted && !msg.id.startsWith('seq-') ? html`${lazy('mh-message-actions')}<mh-message-actions .conversationId=${this.conversationId} .message=${msg}></mh-message-actions>` : nothing}
      </div>
    </li>`;
  }
}
/** Web links in a message become links (opened apart, with no referrer); everything else stays text. */
function linkify(body: string) {
  const parts = body.split(/(https?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]'])/g);
  if (parts.length === 1) return body;
  return parts.map((p, i) => (i % 2 === 1 ? html`<a href=${p} target="_blank" rel="noopener noreferrer">${p}</a>` : p));
}

customElements.define('mh-conversation', MhConversation);

declare global {
  interface HTMLElementTagNameMap {
    'mh-conversation': MhConversation;
  }
}
