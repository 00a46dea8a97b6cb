import { LitElement, css, html, nothing } from 'lit';
import { MessengerController } from '../controllers/messenger-controller.ts';
import { assetHashes, type AssetHash } from '../services/build-info.ts';
import { shared } from '../styles/shared.ts';
import './mh-devices.ts';
import './mh-keyfile-export.ts';
import './mh-notification-settings.ts';

declare const __APP_VERSION__: string;

/** Settings: the account, its devices, the key file and passphrase, storage, forget this device, version and asset hashes. */
export class MhSettings extends LitElement {
  static override styles = [
    shared,
    css`
      :host { display: block; padding: 1rem; max-width: 44rem; }
      section { margin-bottom: 1.5rem; }
      code { font-size: 0.8rem; overflow-wrap: anywhere; }
      ul { padding-left: 1.2rem; }
      label.check { display: flex; gap: 0.5rem; align-items: center; font-weight: 600; }
      label.check input { width: 1.4rem; height: 1.4rem; }
      .back { margin-bottom: 0.75rem; }
    `,
  ];

  static override properties = {
    _nameStatus: { state: true },
    _info: { state: true },
    _hashes: { state: true },
    _confirm: { state: true },
  };

  declare _info: { persisted: boolean | null; usage: number | null; entries: number; queued: number } | null;
  declare _hashes: AssetHash[] | null;
  declare _confirm: boolean;
  declare _nameStatus: string;

  private readonly messenger = new MessengerController(this);

  constructor() {
    super();
    this._info = null;
    this._hashes = null;
    this._confirm = false;
    this._nameStatus = '';
  }

  private saves = 0;

  /** NAME2: the name is cleaned before it is kept and sent; the field shows what contacts will see. */
  private async _saveName(e: Event): Promise<void> {
    e.preventDefault();
    const input = this.renderRoot.querySelector<HTMLInputElement>('#display-name')!;
    const name = await this.messenger.value!.setDisplayName(input.value);
    input.value = name;
    this.saves++;
    this._nameStatus = name ? `Saved. Your contacts now see “${name}” beside your user id.` : 'Removed. Your contacts see your user id only.';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this._load();
  }

  private async _load(): Promise<void> {
    await this.updateComplete;
    const m = this.messenger.value;
    if (m) this._info = await m.storageInfo();
    this._hashes = await assetHashes();
  }

  private async _forget(): Promise<void> {
    await this.messenger.value!.forgetDevice();
    location.reload();
  }

  override render() {
    const m = this.messenger.value;
    const i = this._info;
    return html`
      <button class="secondary back" data-testid="settings-back"
        @click=${() => this.dispatchEvent(new CustomEvent('mh-navigate', { detail: { name: 'list' }, bubbles: true, composed: true }))}>← Back</button>
      <h2>Settings</h2>
      <section>
        <h3>Your account</h3>
        <p>Signed in as <strong data-testid="settings-user">${m?.me?.userId}</strong>.</p>
        <p>Keep your key file and passphrase safe: they are the only way to restore your messages on a new device.</p>
        <details>
          <summary>Technical details</summary>
          <p class="fp">Your key fingerprint: <code>${m?.me?.fingerprint}</code></p>
        </details>
      </section>
      <section>
        <h3>Your name</h3>
        <form @submit=${this._saveName}>
          <label for="display-name">The name your contacts see (sent encrypted, never to the server; your user id is always shown beside it)</label>
          <div class="row">
            <input id="display-name" type="text" dir="auto" maxlength="200" autocomplete="name" data-testid="display-name-input" .value=${m?.myName ?? ''} />
            <button type="submit" data-testid="display-name-save">Save</button>
          </div>
          <p role="status" data-testid="display-name-status" data-saves=${this.saves}>${this._nameStatus}</p>
        </form>
      </section>
      <section aria-labelledby="privacy-heading">
        <h3 id="privacy-heading">Privacy</h3>
        <label class="check"><input type="checkbox" data-testid="read-receipts" .checked=${m?.readReceipts ?? true}
          @change=${(e: Event) => void m?.setReadReceipts((e.target as HTMLInputElement).checked)} />
          Send and show read receipts</label>
        <p class="muted">When this is off, others are not told that you read their messages, and you do not see when they read yours.</p>
        <label class="check"><input type="checkbox" data-testid="typing-indicators" .checked=${m?.typingIndicators ?? true}
          @change=${(e: Event) => void m?.setTypingIndicators((e.target as HTMLInputElement).checked)} />
          Send and show typing indicators</label>
        <p class="muted">When this is off, others do not see when you are typing, and you do not see when they are.</p>
      </section>
      <section aria-label="Your devices">
        <mh-devices></mh-devices>
      </section>
      <section aria-label="Notifications" data-testid="settings-notifications">
        <mh-notification-settings></mh-notification-settings>
      </section>
      <section aria-labelledby="keyfile-heading">
        <h3 id="keyfile-heading">Key file and passphrase</h3>
        <mh-keyfile-export></mh-keyfile-export>
      </section>
      <section>
        <h3>Storage on this device</h3>
        <p data-testid="storage-status" data-persisted=${String(i?.persisted ?? m?.persisted ?? 'unknown')}>
          ${(i?.persisted ?? m?.persisted) === true
            ? 'This browser keeps MessageHub’s data until you remove it.'
            : 'This browser may delete MessageHub’s data when space runs low. You can restore it with your key file.'}
        </p>
        ${i ? html`<p class="muted">${i.entries} stored entries (encrypted), ${i.queued} message${i.queued === 1 ? '' : 's'} waiting to be sent${i.usage !== null ? `, about ${Math.ceil(i.usage / 1024)} KB used` : ''}.</p>` : nothing}
      </section>
      <section>
        <h3>Forget this device</h3>
        <p>Deletes your keys, messages and queued messages from this device and signs it out. Messages not yet sent are lost.</p>
        ${this._confirm
          ? html`<div class="row" role="alert">
              <span>Delete everything from this device?</span>
              <button class="danger" data-testid="forget-confirm" @click=${this._forget}>Yes, delete everything</button>
              <button class="secondary" data-testid="forget-cancel" @click=${() => (this._confirm = false)}>Cancel</button>
            </div>`
          : html`<button class="danger" data-testid="forget-device" @click=${() => (this._confirm = true)}>Forget this device</button>`}
      </section>
      <section>
        <h3>About this version</h3>
        <p>MessageHub <span data-testid="app-version">${__APP_VERSION__}</span>. The files below are the code this browser is
          running; their SHA-256 hashes let you compare them with a published build.</p>
        <ul data-testid="asset-hashes">
          ${(this._hashes ?? []).map((h) => html`<li><code>${h.path}</code><br /><code>sha256 ${h.sha256}</code></li>`)}
        </ul>
      </section>
    `;
  }
}
customElements.define('mh-settings', MhSettings);

declare global {
  interface HTMLElementTagNameMap {
    'mh-settings': MhSettings;
  }
}
