import { LitElement, css, html, nothing } from 'lit';
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
        @click=${() => (this.renderRoot.querySelector('#file') as HTMLInputElement).click()}>${this._busy ? 'Sealing…' : '📎'}</button>
      ${this._error ? html`<p class="error" role="alert" data-testid="attach-error">${this._error}</p>` : nothing}
    `;
  }
}
customElements.define('mh-attach', MhAttach);

declare global {
  interface HTMLElementTagNameMap {
    'mh-attach': MhAttach;
  }
}
