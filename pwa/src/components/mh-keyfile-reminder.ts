import { LitElement, css, html, nothing } from 'lit';
import { MessengerController } from '../controllers/messenger-controller.ts';
import { shared } from '../styles/shared.ts';

/**
 * Reminds a user who has not saved a key file (they chose "I understand I can lose
 * everything" at sign-up). Dismissing hides it until the app starts again; downloading the
 * key file kept for this ends it for good.
 */
export class MhKeyfileReminder extends LitElement {
  static override styles = [
    shared,
    css`
      :host { display: block; }
      .notice { margin: 0.5rem 0.75rem; }
      .row { margin-top: 0.5rem; }
    `,
  ];

  private readonly messenger = new MessengerController(this);
  private url: string | null = null;
  private urlFor: string | null = null;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this._revoke();
  }

  private _revoke(): void {
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = null;
    this.urlFor = null;
  }

  private _href(keyFile: string): string {
    if (this.urlFor !== keyFile) {
      this._revoke();
      this.url = URL.createObjectURL(new Blob([keyFile], { type: 'application/json' }));
      this.urlFor = keyFile;
    }
    return this.url!;
  }

  private _openSettings(): void {
    this.dispatchEvent(new CustomEvent('mh-navigate', { detail: { name: 'settings' }, bubbles: true, composed: true }));
  }

  override render() {
    const m = this.messenger.value;
    if (!m?.keyFileReminder) return nothing;
    const keyFile = m.unsavedKeyFile;
    return html`
      <div class="notice" role="region" aria-label="Key file reminder" data-testid="keyfile-reminder">
        <p><strong>You have not saved a key file.</strong> If this device is lost or its data is deleted, your messages and your
          user name are lost with it. Save your key file and keep it away from this device.</p>
        <div class="row">
          ${keyFile
            ? html`<a class="button" href=${this._href(keyFile)} download="messagehub-${m.me?.userId}.keyfile.json"
                data-testid="reminder-download" @click=${() => void m.keyFileSaved()}>Download key file</a>`
            : html`<button data-testid="reminder-settings" @click=${this._openSettings}>Save a key file</button>`}
          <button class="secondary" data-testid="reminder-dismiss" @click=${() => m.dismissKeyFileReminder()}>Remind me later</button>
        </div>
      </div>
    `;
  }
}
customElements.define('mh-keyfile-reminder', MhKeyfileReminder);

declare global {
  interface HTMLElementTagNameMap {
    'mh-keyfile-reminder': MhKeyfileReminder;
  }
}
