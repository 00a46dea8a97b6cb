import { LitElement, css, html, nothing } from 'lit';
import { MessengerController } from '../controllers/messenger-controller.ts';
import type { LinkHandover } from '../../../protocol/src/link.ts';
import type { LinkReceiver } from '../services/link.ts';
import type { RestoreProgress } from '../services/restore.ts';
import { appErrorText, plainError } from '../services/warnings.ts';
import { shared } from '../styles/shared.ts';
import './mh-qr.ts';

const KEY_FILE_ERRORS: Record<string, string> = {
  'wrong-passphrase': 'Wrong passphrase. The key file is fine; check the passphrase and try again.',
  damaged: 'This key file is damaged: it has been changed or cut short. Try another copy of it.',
  'not-a-key-file': 'This is not a MessageHub key file. Choose the file you saved when you created your account.',
  'unsupported-version': 'This key file was made by a newer version of MessageHub. Update the app and try again.',
};

/**
 * The key file opened but the server refused the login: what that means for a restore (the
 * general words said "There is no one with that user name" or "Try again later").
 */
const LOGIN_ERRORS: Record<string, string> = {
  unknown_user: 'This server has no account for this key file. Check that this is the MessageHub where you created your account.',
  bad_proof: 'This server no longer accepts this key file: the account’s keys were replaced after it was saved (a key reset). Use the key file you saved after that.',
};

const fmt = new Intl.NumberFormat('en');

/**
 * Restore on a new device: key file + passphrase, then the most recent conversations with
 * progress, and the list (older history streams in there: mh-restore-status). Or
 * (`linking`) link from another device (protocol LINK1..LINK6): show a code and its QR code,
 * wait for the key file the other device hands over, then the same passphrase and restore.
 */
export class MhRestore extends LitElement {
  static override styles = [
    shared,
    css`
      :host { display: block; }
      .actions { margin-top: 1rem; display: flex; gap: 0.75rem; flex-wrap: wrap; }
      ul, ol { padding-left: 1.2rem; }
      .code { font: 700 clamp(1.6rem, 8vw, 2.4rem) / 1.2 ui-monospace, monospace; letter-spacing: 0.08em; margin: 0.75rem 0; }
    `,
  ];

  static override properties = {
    _busy: { state: true },
    _error: { state: true },
    _errorCode: { state: true },
    _progress: { state: true },
    linking: { type: Boolean },
    _receiver: { state: true },
    _handover: { state: true },
  };

  declare _busy: boolean;
  declare _error: string;
  declare _errorCode: string;
  declare _progress: RestoreProgress | null;
  declare linking: boolean;
  declare _receiver: LinkReceiver | null;
  declare _handover: LinkHandover | null;

  private readonly messenger = new MessengerController(this);

  override connectedCallback(): void {
    super.connectedCallback();
    // The passphrase's key derivation loads while the user types (messenger.prepareKeyFile).
    this.messenger.value?.prepareKeyFile();
  }

  constructor() {
    super();
    this._busy = false;
    this._error = '';
    this._errorCode = '';
    this._progress = null;
    this.linking = false;
    this._receiver = null;
    this._handover = null;
  }

  private timer: ReturnType<typeof setTimeout> | undefined;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.timer);
  }

  protected override updated(changed: Map<string, unknown>): void {
    if (changed.has('linking') && this.linking && !this._receiver) void this._startLink();
  }

  /** LINK2: a new ephemeral key, a slot and its code; then wait for the handover. */
  private async _startLink(): Promise<void> {
    clearTimeout(this.timer);
    this._error = '';
    this._errorCode = '';
    this._handover = null;
    this._receiver = null;
    try {
      this._receiver = await this.messenger.value!.linkStart();
      this.timer = setTimeout(() => void this._poll(), 2000);
    } catch (e) {
      this._linkFailed(e);
    }
  }

  private _unlink(): void {
    clearTimeout(this.timer);
    this.linking = false;
    this._receiver = null;
    this._error = '';
  }

  private _linkFailed(e: unknown): void {
    this._errorCode = (e as { reason?: string }).reason ?? 'other';
    this._error = (e as { name?: string }).name === 'LinkFailed' ? (e as Error).message : plainError(e);
  }

  private async _poll(): Promise<void> {
    const r = this._receiver;
    if (!r || !this.isConnected || !this.linking) return;
    try {
      this._handover = await r.poll();
      if (!this._handover) this.timer = setTimeout(() => void this._poll(), 2000);
    } catch (e) {
      // A network hiccup: keep waiting; anything else ends this code (LINK5).
      if ((e as { name?: string }).name === 'NetworkError') this.timer = setTimeout(() => void this._poll(), 2000);
      else this._linkFailed(e);
    }
  }

  private async _onSubmit(e: Event): Promise<void> {
    e.preventDefault();
    const file = (this.renderRoot.querySelector('#keyfile') as HTMLInputElement | null)?.files?.[0];
    const handed = this._handover?.keyFile;
    const pass = (this.renderRoot.querySelector('#restore-passphrase') as HTMLInputElement).value;
    this._error = '';
    this._errorCode = '';
    if (!file && !handed) {
      this._error = 'Choose your key file first.';
      this._errorCode = 'no-file';
      return;
    }
    if (!pass) {
      this._error = appErrorText('passphrase-empty');
      this._errorCode = 'no-passphrase';
      return;
    }
    this._busy = true;
    try {
      const text = handed ?? (file!.size > 1_000_000 ? '' : await file!.text());
      // The most recent conversations are in: the list, while older history streams in (issue 18).
      await this.messenger.value!.restore(text, pass, (p) => (this._progress = { ...p }));
      await this.messenger.value!.enterApp();
    } catch (err) {
      const { name, code: errCode = '' } = err as { name?: string; code?: string };
      const code = name === 'KeyFileError' || (name === 'ApiError' && Object.hasOwn(LOGIN_ERRORS, errCode)) ? errCode : '';
      this._errorCode = code || 'other';
      this._error = KEY_FILE_ERRORS[code] ?? LOGIN_ERRORS[code] ?? plainError(err);
      this._progress = null;
    } finally {
      this._busy = false;
    }
  }

  private _progressText(p: RestoreProgress): string {
    if (p.stage === 'key-file') return 'Opening your key file…';
    if (p.stage === 'login') return 'Signing in…';
    return `Decrypting ${fmt.format(p.done)} of ${fmt.format(p.total)}`;
  }

  private _renderCode(r: LinkReceiver | null) {
    return html`
      <h1>Link from another device</h1>
      ${r
        ? html`<ol>
              <li>On a device where you are signed in, open <strong>Settings</strong> and choose <strong>Link a new device</strong>.</li>
              <li>Type this code there, or scan the QR code.</li>
            </ol>
            <p class="code" data-testid="link-code" data-code=${r.code}>${r.code.slice(0, 4)}-${r.code.slice(4, 8)}-${r.code.slice(8)}</p>
            <mh-qr .payload=${r.qrPayload} label="QR code of the link code"></mh-qr>
            <p class="muted" role="status" data-testid="link-waiting">Waiting for your other device… The code works once, for 10 minutes.</p>`
        : this._error ? nothing : html`<p role="status">Making a code…</p>`}
      ${this._error ? html`<p class="error" role="alert" data-testid="link-error" data-code=${this._errorCode}>${this._error}</p>` : nothing}
      <div class="actions">
        ${this._error ? html`<button data-testid="link-restart" @click=${() => this._startLink()}>Get a new code</button>` : nothing}
        <button type="button" class="secondary" data-testid="link-back" @click=${this._unlink}>Use my key file instead</button>
      </div>
    `;
  }

  override render() {
    const h = this._handover;
    if (this.linking && !h) return this._renderCode(this._receiver);
    const p = this._progress;
    return html`
      <h1>${h ? 'Link from another device' : 'Restore from your key file'}</h1>
      ${h
        ? html`<p data-testid="link-account">Your other device sent the key file of <strong>${h.userId}</strong>. Type its passphrase to finish.</p>`
        : html`<p>Use the key file you saved when you created your account, and its passphrase. Your whole history is
            downloaded and decrypted on this device.</p>`}
      <form @submit=${this._onSubmit} novalidate>
        ${h
          ? nothing
          : html`<label for="keyfile">Key file</label>
              <input id="keyfile" type="file" accept=".json,application/json" data-testid="restore-keyfile" ?disabled=${this._busy} />`}
        <label for="restore-passphrase">Passphrase</label>
        <input id="restore-passphrase" type="password" autocomplete="current-password" data-testid="restore-passphrase" ?disabled=${this._busy} />
        ${this._error ? html`<p class="error" role="alert" data-testid="restore-error" data-code=${this._errorCode}>${this._error}</p>` : nothing}
        ${p
          ? html`<div role="status" aria-live="polite">
              <p data-testid="restore-progress-text">${this._progressText(p)}</p>
              <progress data-testid="restore-progress" max=${Math.max(1, p.total)} .value=${p.stage === 'history' || p.stage === 'done' ? p.done : 0}
                aria-label="Restore progress"></progress>
            </div>`
          : nothing}
        <div class="actions">
          <button type="submit" data-testid="restore-submit" ?disabled=${this._busy}>${h ? 'Finish linking' : 'Restore'}</button>
          <button type="button" class="secondary" data-testid="go-create" ?disabled=${this._busy}
            @click=${() => this.dispatchEvent(new CustomEvent('mh-create-instead', { bubbles: true, composed: true }))}>
            Create a new account instead
          </button>
          ${h
            ? nothing
            : html`<button type="button" class="secondary" data-testid="go-link" ?disabled=${this._busy} @click=${() => (this.linking = true)}>
                Link from another device
              </button>`}
        </div>
      </form>
    `;
  }
}
customElements.define('mh-restore', MhRestore);

declare global {
  interface HTMLElementTagNameMap {
    'mh-restore': MhRestore;
  }
}
