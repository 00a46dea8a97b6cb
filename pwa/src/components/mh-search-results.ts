import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { MessengerController } from '../controllers/messenger-controller.ts';
import type { SearchHit } from '../services/search.ts';
import { shared } from '../styles/shared.ts';

const count = new Intl.NumberFormat('en');
const day = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });

/** Results of an on-device search (services/search.ts): conversation, time, the text around the match. */
export class MhSearchResults extends LitElement {
  static override styles = [
    shared,
    css`
      :host { display: block; }
      ul { list-style: none; margin: 0; padding: 0; }
      li { margin: 0 0 0.35rem; }
      .hit { width: 100%; text-align: start; display: grid; grid-template-columns: 1fr auto; gap: 0.15rem 0.5rem; background: var(--mh-surface); color: var(--mh-fg); border: 1px solid var(--mh-border); font-weight: 400; }
      .title { font-weight: 700; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      .when { color: var(--mh-muted); font-size: 0.85rem; }
      .text { grid-column: 1 / -1; overflow-wrap: anywhere; }
      mark { background: var(--mh-warn-bg); color: inherit; font-weight: 700; text-decoration: underline; }
      .row { align-items: center; }
    `,
  ];

  static override properties = {
    query: { type: String },
    _hits: { state: true },
    _searched: { state: true },
    _running: { state: true },
  };

  declare query: string;
  declare _hits: SearchHit[];
  declare _searched: number;
  declare _running: boolean;

  private readonly messenger = new MessengerController(this);
  private abort: AbortController | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    super();
    this.query = '';
    this._hits = [];
    this._searched = 0;
    this._running = false;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('query')) {
      // A short pause after typing, then a new search; the one running is cancelled.
      this.cancel();
      clearTimeout(this.timer);
      this._running = true;
      this._hits = [];
      this._searched = 0;
      this.timer = setTimeout(() => void this._run(), 150);
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.timer);
    this.cancel();
  }

  cancel(): void {
    this.abort?.abort();
    this.abort = null;
    this._running = false;
  }

  private async _run(): Promise<void> {
    const m = this.messenger.value;
    if (!m) return;
    const abort = (this.abort = new AbortController());
    this._running = true;
    this._hits = [];
    this._searched = 0;
    try {
      await m.search(this.query, {
        signal: abort.signal,
        onProgress: (p) => {
          if (abort.signal.aborted) return;
          this._hits = p.hits;
          this._searched = p.searched;
        },
      });
    } catch (e) {
      if ((e as Error).name !== 'AbortError') throw e;
    } finally {
      if (this.abort === abort) {
        this.abort = null;
        this._running = false;
      }
    }
  }

  private _title(cid: string): string {
    const s = this.messenger.value?.summaries.find((x) => x.conversationId === cid);
    return s?.group ? (s.group.name ?? 'Group') : s?.others.join(', ') || 'Only you';
  }

  private _open(h: SearchHit): void {
    this.dispatchEvent(new CustomEvent('mh-navigate', { detail: { name: 'conversation', id: h.conversationId, at: h.seq }, bubbles: true, composed: true }));
  }

  override render() {
    const n = this._hits.length;
    const status = this._running
      ? `Searching on this device… ${count.format(this._searched)} messages so far`
      : n === 0 ? 'No messages found' : `${n === 1 ? '1 message' : `${count.format(n)} messages`} found`;
    return html`
      <div class="row">
        <p class="muted" role="status" data-testid="search-status" data-running=${this._running ? 'true' : 'false'}>${status}</p>
        ${this._running ? html`<button class="secondary" data-testid="search-cancel" @click=${() => this.cancel()}>Stop</button>` : nothing}
      </div>
      <ul aria-label="Search results" data-testid="search-results">
        ${this._hits.map((h) => {
          const title = this._title(h.conversationId);
          return html`<li><button class="hit" data-testid="search-hit" data-conversation-id=${h.conversationId} data-seq=${h.seq} @click=${() => this._open(h)}>
            <span class="title" dir="auto">${title}</span>
            <span class="when">${day.format(h.composedAt)}</span>
            <span class="text" dir="auto">${h.snippet[0]}<mark>${h.snippet[1]}</mark>${h.snippet[2]}</span>
          </button></li>`;
        })}
      </ul>
    `;
  }
}
customElements.define('mh-search-results', MhSearchResults);

declare global {
  interface HTMLElementTagNameMap {
    'mh-search-results': MhSearchResults;
  }
}
