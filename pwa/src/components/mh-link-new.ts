import { LitElement, css, html, nothing } from 'lit';
import { MessengerController } from '../controllers/messenger-controller.ts';
import type { LinkHandover } from '../../../protocol/src/link.ts';
import type { LinkReceiver } from '../services/link.ts';
import type { RestoreProgress, RestoreSummary } from '../services/restore.ts';
import { plainError } from '../services/warnings.ts';
import { shared } from '../styles/shared.ts';
import './mh-qr.ts';

const POLL_MS = 2000;
const fmt = new Intl.NumberFormat('en');

/**
 * The new device's side of linking by code (protocol LINK1..LINK6): show the code and its
 * QR code, wait for the handover, then ask for the passphrase and restore as from a key file.
 */
export class MhLinkNew extends LitElement {
  static override styles = [
    shared,
    css`
      :host { display: block; }
      .code { font: 700 clamp(1.6rem, 8vw, 2.4rem) / 1.2 ui-monospace, monospace; letter-spacing: 0.08em; margin: 0.75rem 0;
        overflow-wrap: anywhere; }
      .actions { margin-top: 1rem; display: flex; gap: 0.75rem; flex-wrap: wrap; }
      ol { padding-left: 1.2rem; }
    `,
  ];

  static override properties = {
    _receiver: { state: true },
    _handover: { state: true },
    _error: { state: true },
    _errorCode: { state: true },
    _busy: { state: true },
    _progress: { state: true },
    _summary: { state: true },
  };

  declare _receiver: LinkReceiver | null;
  declare _handover: LinkHandover | null;
  declare _error: string;
  declare _errorCode: string;
  declare _busy: boolean;
  declare _progress: RestoreProgress | null;
  declare _summary: RestoreSummary | null;

  private readonly messenger = new MessengerController(this);
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    super();
    this._receiver = null;
    this._handover = null;
    this._error = '';
    this._errorCode = '';
    this._busy = false;
    this._progress = null;
    this._summary = null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this._start();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.timer);
  }

  private _fail(e: unknown): void {
    this._errorCode = (e as { reason?: string }).reason ?? 'other';
    this._error = (e as { name?: string }).name === 'LinkFailed' ? (e as Error).message : plainError(e);
  }

  private async _start(): Promise<void> {
    await this.updateComplete;
    clearTimeout(this.timer);
    this._error = '';
    this._errorCode = '';
    this._receiver = null;
    this._handover = null;
    try {
      this._receiver = await this.messenger.value!.linkStart();
      this.messenger.value!.prepareKeyFile();
      this._schedule();
    } catch (e) {
      this._fail(e);
    }
  }

  private _schedule(): void {
    this.timer = setTimeout(() => void this._poll(), POLL_MS);
  }

  private async _poll(): Promise<void> {
    const r = this._receiver;
    if (!r || !this.isConnected) return;
    try {
      const h = await r.poll();
      if (h) this._handover = h;
      else this._schedule();
    } catch (e) {
      // A network hiccup: keep waiting. Anything else ends this code (LINK5).
      if ((e as { name?: string }).name === 'NetworkError') this._schedule();
      else this._fail(e);
    }
  }

  private async _onSubmit(e: Event): Promise<void> {
    e.preventDefault();
    const pass = (this.renderRoot.querySelector('#link-passphrase') as HTMLInputElement).value;
    this._error = '';
    this._errorCode = '';
    if (!pass) {
      this._error = 'Type the passphrase of your key file.';
      this._errorCode = 'no-passphrase';
      return;
    }
    this._busy = true;
    try {
      this._summary = await this.messenger.value!.restore(this._handover!.keyFile, pass, (p) => (this._progress = { ...p }));
    } catch (err) {
      const code = (err as { name?: string; code?: string }).name === 'KeyFileError' ? (err as { code: string }).code : '';
      this._errorCode = code || 'other';
      this._error = code === 'wrong-passphrase'
        ? 'Wrong passphrase. Type the passphrase of your key file (the one you chose when you made it) and try again.'
        : plainError(err);
      this._progress = null;
    } finally {
      this._busy = false;
    }
  }

  private _back(): void {
    this.dispatchEvent(new CustomEvent('mh-restore-instead', { bubbles: true, composed: true }));
  }

  override render() {
    if (this._summary) return this._renderSummary(this._summary);
    if (this._handover) return this._renderPassphrase(this._handover);
    const r = this._receiver;
    return html`
      <h1>Link from another device</h1>
      ${r
        ? html`<ol>
              <li>On a device where you are signed in, open <strong>Settings</strong> and choose <strong>Link a new device</strong>.</li>
              <li>Type this code there, or scan the QR code.</li>
            </ol>
            <p class="code" data-testid="link-code" data-code=${r.code} aria-label="Link code ${[...r.code].join(' ')}">${r.code.slice(0, 4)}-${r.code.slice(4, 8)}-${r.code.slice(8)}</p>
            <mh-qr .payload=${r.qrPayload} label="QR code of the link code"></mh-qr>
            <p class="muted" role="status" data-testid="link-waiting">Waiting for your other device… The code works once, for 10 minutes.</p>`
        : this._error ? nothing : html`<p role="status">Making a code…</p>`}
      ${this._error ? html`<p class="error" role="alert" data-testid="link-error" data-code=${this._errorCode}>${this._error}</p>` : nothing}
      <div class="actions">
        ${this._error ? html`<button data-testid="link-restart" @click=${() => this._start()}>Get a new code</button>` : nothing}
        <button type="button" class="secondary" data-testid="link-back" @click=${this._back}>Use my key file instead</button>
      </div>
    `;
  }

  private _renderPassphrase(h: LinkHandover) {
    const p = this._progress;
    return html`
      <h1>Link from another device</h1>
      <p data-testid="link-account">Your other device sent the key file of <strong>${h.userId}</strong>. Type its passphrase to finish.</p>
      <form @submit=${this._onSubmit} novalidate>
        <label for="link-passphrase">Passphrase</label>
        <input id="link-passphrase" type="password" autocomplete="current-password" data-testid="link-passphrase" ?disabled=${this._busy} />
        ${this._error ? html`<p class="error" role="alert" data-testid="link-error" data-code=${this._errorCode}>${this._error}</p>` : nothing}
        ${p
          ? html`<div role="status" aria-live="polite">
              <p>${p.stage === 'history' || p.stage === 'done' ? `Decrypting ${fmt.format(p.done)} of ${fmt.format(p.total)}` : p.stage === 'login' ? 'Signing in…' : 'Opening your key file…'}</p>
              <progress max=${Math.max(1, p.total)} .value=${p.stage === 'history' || p.stage === 'done' ? p.done : 0} aria-label="Link progress"></progress>
            </div>`
          : nothing}
        <div class="actions">
          <button type="submit" data-testid="link-finish" ?disabled=${this._busy}>Finish linking</button>
        </div>
      </form>
    `;
  }

  private _renderSummary(s: RestoreSummary) {
    const failed = s.failed.reduce((n, f) => n + f.count, 0);
    return html`
      <h1>This device is linked</h1>
      <p data-testid="link-summary" role="status">Recovered ${fmt.format(s.conversations)} conversation${s.conversations === 1 ? '' : 's'} and
        ${fmt.format(s.messages)} message${s.messages === 1 ? '' : 's'}.${failed ? ` ${fmt.format(failed)} could not be recovered.` : ''}</p>
      <div class="actions">
        <button data-testid="link-continue" @click=${() => this.messenger.value!.enterApp()}>Open my conversations</button>
      </div>
    `;
  }
}
customElements.define('mh-link-new', MhLinkNew);

declare global {
  interface HTMLElementTagNameMap {
    'mh-link-new': MhLinkNew;
  }
}
