import { LitElement, css, html, nothing, svg } from 'lit';
import { MessengerController } from '../controllers/messenger-controller.ts';
import { plainError } from '../services/warnings.ts';
import { shared } from '../styles/shared.ts';

/**
 * The composer's attach button: pick a photo or file, and it is sealed at once and queued
 * with its message (Messenger.sendFile), online or not.
 */
export class MhAttach extends LitElement {
  static override styles = [
    shared,
    css`
      :host { display: inline-flex; }
      input { display: none; }
    `,
  ];

  static override properties = {
    conversationId: { type: String },
    disabled: { type: Boolean },
    _busy: { state: true },
    _error: { state: true },
  };

  declare conversationId: string;
  declare disabled: boolean;
  declare _busy: boolean;
  declare _error: string;

  private readonly messenger = new MessengerController(this);

  constructor() {
    super();
    this.conversationId = '';
    this.disabled = false;
    this._busy = false;
    this._error = '';
  }

  private async _picked(e: Event): Promise<void> {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    const m = this.messenger.value;
    if (!file || !m) return;
    this._busy = true;
    this._error = '';
    try {
      await m.sendFile(this.conversationId, file, file.name);
      this.dispatchEvent(new CustomEvent('mh-attached', { bubbles: true, composed: true }));
    } catch (err) {
      this._error = plainError(err);
    } finally {
      this._busy = false;
    }
  }

  override render() {
    return html`
      <input type="file" id="file" data-testid="attach-input" @change=${(e: Event) => void this._picked(e)} ?disabled=${this.disabled || this._busy}>
      <button type="button" class="secondary" data-testid="attach-button" aria-label="Attach a photo or file" ?disabled=${this.disabled || this._busy}
        @click=${() => (this.renderRoot.querySelector('#file') as HTMLInputElement).click()}>${this._busy ? 'Sealing…' : PAPERCLIP}</button>
      ${this._error ? html`<p class="error" role="alert" data-testid="attach-error">${this._error}</p>` : nothing}
    `;
  }
}
// A drawn paperclip rather than the emoji: not every system has an emoji font.
const PAPERCLIP = svg`<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false" fill="none" stroke="currentColor"
  stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M21 11.5l-8.6 8.6a5.5 5.5 0 0 1-7.8-7.8l8.6-8.6a3.7 3.7 0 0 1 5.2 5.2l-8.6 8.6a1.8 1.8 0 0 1-2.6-2.6l7.9-7.9"/></svg>`;

customElements.define('mh-attach', MhAttach);

declare global {
  interface HTMLElementTagNameMap {
    'mh-attach': MhAttach;
  }
}
