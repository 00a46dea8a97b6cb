import { LitElement, css, html, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { MessengerController } from '../controllers/messenger-controller.ts';
import type { ConversationSummary } from '../services/views.ts';
import { plainError } from '../services/warnings.ts';
import { shared } from '../styles/shared.ts';
import { identicon } from '../services/identicon.ts';
import { isArchived } from '../stores/flags.ts';
import { lazy } from './lazy-screens.ts';

const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const day = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });

export function shortTime(ms: number): string {
  const d = new Date(ms);
  return d.toDateString() === new Date().toDateString() ? time.format(d) : day.format(d);
}

/**
 * A user as the screens show them (protocol NAME4): their display name, isolated, with the
 * user id always beside it; the user id alone when they have no name to show.
 */
export function who(names: Map<string, string> | undefined, userId: string) {
  const name = names?.get(userId);
  return name ? html`<bdi data-testid="display-name">${name}</bdi> <span class="uid" data-testid="name-user-id">@${userId}</span>` : userId;
}

const STORAGE_NOTICE_KEY = 'messagehub.storage-notice-dismissed';

/** Conversations by activity, with the last message (decrypted in memory) and unread counts. */
export class MhConversationList extends LitElement {
  static override styles = [
    shared,
    css`
      :host { display: block; padding: 0.75rem; }
      form { margin-bottom: 0.75rem; }
      ul { list-style: none; margin: 0; padding: 0; }
      li { margin: 0 0 0.35rem; }
      .item {
        width: 100%; text-align: left; display: grid; grid-template-columns: 1fr auto; gap: 0.15rem 0.5rem;
        background: var(--mh-surface); color: var(--mh-fg); border: 1px solid var(--mh-border); font-weight: 400;
      }
      .item[aria-current='true'] { border-color: var(--mh-accent); border-width: 2px; }
      .title { font-weight: 700; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      /* One person: a long display name is cut, never the user id beside it (THREATS L10). */
      .title.one { display: flex; align-items: center; gap: 0.3rem; min-width: 0; }
      .title.one bdi { min-width: 0; overflow: hidden; text-overflow: ellipsis; }
      .preview { grid-column: 1 / 2; color: var(--mh-muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      .when { color: var(--mh-muted); font-size: 0.85rem; }
      .badge { background: var(--mh-accent); color: var(--mh-on-accent); border-radius: 1rem; padding: 0 0.5rem; font-size: 0.85rem; justify-self: end; }
      .blocked { grid-column: 1 / -1; color: var(--mh-danger-text); font-size: 0.85rem; }
      .verified { color: var(--mh-accent-text); }
      .uid { font-weight: 400; color: var(--mh-muted); }
      .identicon { vertical-align: middle; margin-inline-end: 0.35rem; border-radius: 0.2rem; }
      .new-group { margin-bottom: 0.75rem; }
      .notice .row { justify-content: flex-end; margin-top: 0.25rem; }
      #search { width: 100%; margin-bottom: 0.75rem; font: inherit; padding: 0.45rem 0.6rem; border: 1px solid var(--mh-border); border-radius: 0.4rem; background: var(--mh-surface); color: var(--mh-fg); }
    `,
  ];

  static override properties = {
    selected: { type: String },
    _showHidden: { state: true },
    _error: { state: true },
    _busy: { state: true },
    _storageNoticeDismissed: { state: true },
    _query: { state: true },
    _showArchived: { state: true },
  };

  declare selected: string | null;
  declare _error: string;
  declare _busy: boolean;
  declare _showHidden: boolean;
  declare _storageNoticeDismissed: boolean;
  /** What is typed in the search box: while not blank, search results replace the list. */
  declare _query: string;
  declare _showArchived: boolean;

  private readonly messenger = new MessengerController(this);

  constructor() {
    super();
    this.selected = null;
    this._error = '';
    this._busy = false;
    this._showHidden = false;
    this._storageNoticeDismissed = localStorage.getItem(STORAGE_NOTICE_KEY) === '1';
    this._query = '';
    this._showArchived = false;
  }

  /** Ctrl+K, Cmd+K, or "/" outside a text field: to the search box. */
  private readonly _onKey = (e: KeyboardEvent): void => {
    const inField = e.composedPath().some((t) => t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)));
    if (((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') || (e.key === '/' && !inField && !e.ctrlKey && !e.metaKey && !e.altKey)) {
      const box = this.renderRoot.querySelector<HTMLInputElement>('#search');
      if (!box || box.offsetParent === null) return;
      e.preventDefault();
      box.focus();
      box.select();
    }
  };

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('keydown', this._onKey);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('keydown', this._onKey);
  }

  /** The notice once seen is not shown again on this device (a flag, no content). */
  private _dismissStorageNotice(): void {
    localStorage.setItem(STORAGE_NOTICE_KEY, '1');
    this._storageNoticeDismissed = true;
  }

  private _open(id: string): void {
    this.dispatchEvent(new CustomEvent('mh-navigate', { detail: { name: 'conversation', id }, bubbles: true, composed: true }));
  }

  private async _onStart(e: Event): Promise<void> {
    e.preventDefault();
    const input = this.renderRoot.querySelector('#start-user') as HTMLInputElement;
    const name = input.value.trim();
    if (!name) return;
    this._error = '';
    this._busy = true;
    try {
      const id = await this.messenger.value!.startConversation(name);
      input.value = '';
      this._open(id);
    } catch (err) {
      this._error = plainError(err);
    } finally {
      this._busy = false;
    }
  }

  protected override updated(): void {
    // The cold-start budget is measured to this mark: the list is on screen and usable.
    if (this.messenger.value?.phase === 'ready' && performance.getEntriesByName('mh-list-ready').length === 0) performance.mark('mh-list-ready');
  }

  /** One conversation button; requests and hidden ones show no unread badge and no preview text of hidden ones. */
  private _item(s: ConversationSummary, testId: string, preview: string | null | undefined) {
    const m = this.messenger.value!;
    const title = s.group ? (s.group.name ?? 'Group') : s.others.join(', ') || 'Only you';
    return html`<li>
      <button class="item" data-testid=${testId} data-conversation-id=${s.conversationId} data-title=${title} data-group=${s.group ? 'true' : 'false'} data-request=${s.request}
        aria-current=${s.conversationId === this.selected ? 'true' : 'false'} @click=${() => this._open(s.conversationId)}>
        <span class="title ${!s.group && s.others.length === 1 ? 'one' : ''}" dir="auto">${s.group || s.others.length !== 1 ? nothing : identicon(m.fingerprints.get(s.others[0]!), 20)}${s.group ? title : s.others.length ? s.others.map((u, i) => html`${i ? ', ' : ''}${who(this.messenger.value?.names, u)}`) : title}${s.verified ? html` <span class="verified" data-testid="verified-badge">✓<span class="sr-only"> verified</span></span>` : nothing}</span>
        <span class="when">${m.flags[s.conversationId]?.pinned ? html`<span data-testid="pinned">Pinned · </span>` : nothing}${shortTime(s.lastActivity)}</span>
        <span class="preview" data-testid="conversation-preview" dir="auto">${preview ?? ''}</span>
        ${s.unread ? html`<span class="badge" data-testid="unread-count">${s.unread}<span class="sr-only"> unread</span></span>` : nothing}
        ${s.request === 'request' ? html`<span class="sr-only">, message request</span>` : nothing}
        ${s.blocked && s.request === 'accepted' ? html`<span class="blocked">Sending paused</span>` : nothing}
      </button>
    </li>`;
  }

  override render() {
    const m = this.messenger.value;
    if (!m) return nothing;
    // THREATS L3: requests apart, ignored and blocked hidden (kept, shown on demand).
    // Pinned first; archived ones apart, until a new message brings them back (stores/flags.ts).
    const all = m.summaries.filter((s) => s.request === 'accepted');
    const archived = all.filter((s) => isArchived(m.flags[s.conversationId], s.lastActivity));
    const inList = all.filter((s) => !archived.includes(s));
    const accepted = [...inList.filter((s) => m.flags[s.conversationId]?.pinned), ...inList.filter((s) => !m.flags[s.conversationId]?.pinned)];
    const requests = m.summaries.filter((s) => s.request === 'request');
    const hidden = m.summaries.filter((s) => s.request === 'ignored' || s.request === 'blocked');
    const search = html`<input id="search" type="search" dir="auto" aria-label="Search messages on this device" placeholder="Search messages (Ctrl+K)"
      data-testid="search-input" aria-keyshortcuts="Control+K Meta+K /" .value=${this._query}
      @input=${(e: Event) => { this._query = (e.target as HTMLInputElement).value; }}
      @keydown=${(e: KeyboardEvent) => { if (e.key === 'Escape') this._query = ''; }} />`;
    if (this._query.trim()) return html`${search}${lazy('mh-search-results')}<mh-search-results .query=${this._query}></mh-search-results>`;
    return html`
      ${search}
      ${m.persisted === false && !this._storageNoticeDismissed
        ? html`<div class="notice" data-testid="storage-warning"><p>This browser may delete MessageHub's data when space runs low.
            Your key file and passphrase restore everything: keep them safe.</p>
            <div class="row"><button class="secondary" data-testid="dismiss-storage-warning" @click=${this._dismissStorageNotice}>Got it</button></div></div>`
        : nothing}
      <form @submit=${this._onStart}>
        <label for="start-user">Start a conversation</label>
        <div class="row">
          <input id="start-user" type="text" dir="auto" placeholder="User name" autocapitalize="none" spellcheck="false" data-testid="start-username" ?disabled=${this._busy} />
          <button type="submit" data-testid="start-conversation" ?disabled=${this._busy}>Start</button>
        </div>
        ${this._error ? html`<p class="error" role="alert" data-testid="start-error">${this._error}</p>` : nothing}
      </form>
      <button class="secondary new-group" data-testid="open-new-group"
        @click=${() => this.dispatchEvent(new CustomEvent('mh-navigate', { detail: { name: 'new-group' }, bubbles: true, composed: true }))}>New group</button>
      ${requests.length > 0
        ? html`<h2 id="requests-heading">Requests <span class="muted">(${requests.length})</span></h2>
            <p class="muted">From people you have not talked to. They are not told you read their messages until you accept.</p>
            <ul aria-labelledby="requests-heading" data-testid="request-list">
              ${repeat(requests, (s) => s.conversationId, (s) => this._item(s, 'request-item', m.previews.get(s.conversationId)))}
            </ul>`
        : nothing}
      <h2 id="conv-heading">Conversations</h2>
      ${accepted.length === 0 ? html`<p class="muted">No conversations yet.</p>` : nothing}
      <ul aria-labelledby="conv-heading" data-testid="conversation-list">
        ${repeat(accepted, (s) => s.conversationId, (s) => this._item(s, 'conversation-item', m.previews.get(s.conversationId)))}
      </ul>
      ${archived.length > 0
        ? html`<button class="secondary" data-testid="show-archived" aria-expanded=${this._showArchived ? 'true' : 'false'}
              @click=${() => { this._showArchived = !this._showArchived; }}>Archived (${archived.length})</button>
            ${this._showArchived
              ? html`<ul aria-label="Archived" data-testid="archived-list">
                  ${repeat(archived, (s) => s.conversationId, (s) => this._item(s, 'archived-item', m.previews.get(s.conversationId)))}
                </ul>`
              : nothing}`
        : nothing}
      ${hidden.length > 0
        ? html`<button class="secondary" data-testid="show-hidden" aria-expanded=${this._showHidden ? 'true' : 'false'}
              @click=${() => { this._showHidden = !this._showHidden; }}>${this._showHidden ? 'Hide' : 'Show'} ignored and blocked (${hidden.length})</button>
            ${this._showHidden
              ? html`<ul aria-label="Ignored and blocked" data-testid="hidden-list">
                  ${repeat(hidden, (s) => s.conversationId, (s) => this._item(s, 'hidden-item', null))}
                </ul>`
              : nothing}`
        : nothing}
    `;
  }
}
customElements.define('mh-conversation-list', MhConversationList);

declare global {
  interface HTMLElementTagNameMap {
    'mh-conversation-list': MhConversationList;
  }
}
