import { LitElement, css, html, nothing } from 'lit';
import { MessengerController } from '../controllers/messenger-controller.ts';
import type { RestoreProgress, RestoreSummary } from '../services/restore.ts';
import { appErrorText, plainError, warningText } from '../services/warnings.ts';
import { shared } from '../styles/shared.ts';

const KEY_FILE_ERRORS: Record<string, string> = {
  'wrong-passphrase': 'Wrong passphrase. The key file is fine; check the passphrase and try again.',
  damaged: 'This key file is damaged: it has been changed or cut short. Try another copy of it.',
  'not-a-key-file': 'This is not a MessageHub key file. Choose the file you saved when you created your account.',
  'unsupported-version': 'This key file was made by a newer version of MessageHub. Update the app and try again.',
};

const fmt = new Intl.NumberFormat('en');

/** Restore on a new device: key file + passphrase, then the whole history with progress. */
export class MhRestore extends LitElement {
  static override styles = [
    shared,
    css`
      :host { display: block; }
      .actions { margin-top: 1rem; display: flex; gap: 0.75rem; flex-wrap: wrap; }
      ul { padding-left: 1.2rem; }
    `,
  ];

  static override properties = {
    _busy: { state: true },
    _error: { state: true },
    _errorCode: { state: true },
    _progress: { state: true },
    _summary: { state: true },
  };

  declare _busy: boolean;
  declare _error: string;
  declare _errorCode: string;
  declare _progress: RestoreProgress | null;
  declare _summary: RestoreSummary | null;

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
    this._summary = null;
  }

  private async _onSubmit(e: Event): Promise<void> {
    e.preventDefault();
    const file = (this.renderRoot.querySelector('#keyfile') as HTMLInputElement).files?.[0];
    const pass = (this.renderRoot.querySelector('#restore-passphrase') as HTMLInputElement).value;
    this._error = '';
    this._errorCode = '';
    if (!file) {
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
      const text = file.size > 1_000_000 ? '' : await file.text();
      this._summary = await this.messenger.value!.restore(text, pass, (p) => (this._progress = { ...p }));
    } catch (err) {
      const code = (err as { name?: string; code?: string }).name === 'KeyFileError' ? (err as { code: string }).code : '';
      this._errorCode = code || 'other';
      this._error = KEY_FILE_ERRORS[code] ?? plainError(err);
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

  override render() {
    if (this._summary) return this._renderSummary(this._summary);
    const p = this._progress;
    return html`
      <h1>Restore from your key file</h1>
      <p>Use the key file you saved when you created your account, and its passphrase. Your whole history is
        downloaded and decrypted on this device.</p>
      <form @submit=${this._onSubmit} novalidate>
        <label for="keyfile">Key file</label>
        <input id="keyfile" type="file" accept=".json,application/json" data-testid="restore-keyfile" ?disabled=${this._busy} />
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
          <button type="submit" data-testid="restore-submit" ?disabled=${this._busy}>Restore</button>
          <button type="button" class="secondary" data-testid="go-create" ?disabled=${this._busy}
            @click=${() => this.dispatchEvent(new CustomEvent('mh-create-instead', { bubbles: true, composed: true }))}>
            Create a new account instead
          </button>
          <button type="button" class="secondary" data-testid="go-link" ?disabled=${this._busy}
            @click=${() => this.dispatchEvent(new CustomEvent('mh-link-instead', { bubbles: true, composed: true }))}>
            Link from another device
          </button>
        </div>
      </form>
    `;
  }

  private _renderSummary(s: RestoreSummary) {
    const failedTotal = s.failed.reduce((n, f) => n + f.count, 0);
    return html`
      <h1>Your account is restored</h1>
      <div data-testid="restore-summary" role="status">
        <p>Recovered <strong data-testid="restore-conversations">${fmt.format(s.conversations)}</strong>
          conversation${s.conversations === 1 ? '' : 's'} and
          <strong data-testid="restore-messages">${fmt.format(s.messages)}</strong> message${s.messages === 1 ? '' : 's'}.</p>
        ${failedTotal === 0
          ? html`<p data-testid="restore-failed" data-count="0">Nothing failed.</p>`
          : html`<p data-testid="restore-failed" data-count=${failedTotal}>${fmt.format(failedTotal)} item${failedTotal === 1 ? '' : 's'} could not be recovered:</p>
              <ul>${s.failed.map((f) => html`<li>${f.count} × ${warningText(f.warning)}</li>`)}</ul>`}
      </div>
      <div class="actions">
        <button data-testid="restore-continue" @click=${() => this.messenger.value!.enterApp()}>Open my conversations</button>
      </div>
    `;
  }
}
customElements.define('mh-restore', MhRestore);

declare global {
  interface HTMLElementTagNameMap {
    'mh-restore': MhRestore;
  }
}
