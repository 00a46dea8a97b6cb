import { LitElement, css, html, nothing } from 'lit';
import { MessengerController } from '../controllers/messenger-controller.ts';
import './mh-new-passphrase.ts';
import { AppError, plainError } from '../services/warnings.ts';
import { shared } from '../styles/shared.ts';

type Step = 'form' | 'working' | 'ready';

const WORDS: Record<string, string> = {
  'wrong-passphrase': 'That is not the passphrase of this key file. Type the passphrase you chose when you made it.',
  damaged: 'This key file is damaged and cannot be opened. Choose another copy.',
  'not-a-key-file': 'This is not a MessageHub key file. Choose the file named messagehub-…keyfile.json.',
  'unsupported-version': 'This key file was made by a newer version of MessageHub. Update the app and try again.',
};

/**
 * Make the key file again, under a new passphrase (or the same one): from the key file the
 * user holds and its passphrase, since this device's private keys cannot be exported.
 */
export class MhKeyfileExport extends LitElement {
  static override styles = [
    shared,
    css`
      :host { display: block; }
      .actions { margin-top: 1rem; display: flex; gap: 0.75rem; flex-wrap: wrap; }
    `,
  ];

  static override properties = {
    _step: { state: true },
    _error: { state: true },
    _code: { state: true },
    _saved: { state: true },
  };

  declare _step: Step;
  declare _error: string;
  declare _code: string;
  declare _saved: boolean;

  private readonly messenger = new MessengerController(this);
  private url: string | null = null;

  constructor() {
    super();
    this._step = 'form';
    this._error = '';
    this._code = '';
    this._saved = false;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.url) URL.revokeObjectURL(this.url);
  }

  private _input(name: string): HTMLInputElement {
    return this.renderRoot.querySelector(`[name="${name}"]`) as HTMLInputElement;
  }

  private _fail(code: string, words: string): void {
    this._code = code;
    this._error = words;
    this._step = 'form';
  }

  private async _onSubmit(e: Event): Promise<void> {
    e.preventDefault();
    const m = this.messenger.value!;
    const file = this._input('keyFile').files?.[0];
    const kept = m.unsavedKeyFile;
    const pass = this._input('passphrase').value;
    this._error = '';
    if (!file && !kept) return this._fail('no-file', 'Choose your current key file.');
    const checked = await this.renderRoot.querySelector('mh-new-passphrase')!.check();
    if (!checked.ok) {
      switch (checked.problem) {
        case 'unavailable': return this._fail('strength-unavailable', plainError(new AppError('strength-unavailable')));
        case 'weak': return this._fail('weak', 'Choose a stronger new passphrase: use four or more unrelated words, or a longer sentence.');
        case 'mismatch': return this._fail('mismatch', 'The two new passphrases are different. Type the same passphrase twice.');
      }
    }
    const next = checked.passphrase;
    this._step = 'working';
    try {
      const text = await m.newKeyFile(file ? await file.text() : null, pass, next);
      if (this.url) URL.revokeObjectURL(this.url);
      this.url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
      this._saved = false;
      this._step = 'ready';
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'other';
      this._fail(code, WORDS[code] ?? plainError(err));
    }
  }

  private _onDownload(): void {
    this._saved = true;
    void this.messenger.value!.keyFileSaved();
  }

  override render() {
    const m = this.messenger.value;
    const userId = m?.me?.userId ?? '';
    if (this._step === 'ready') {
      return html`
        <div class="notice" role="status" data-testid="export-ready">
          <p><strong>Your new key file is ready.</strong> It opens with your new passphrase only. Save it somewhere safe, away from
            this device, then delete the old key file: it still opens with the old passphrase.</p>
          <a class="button" href=${this.url ?? '#'} download="messagehub-${userId}.keyfile.json" data-testid="export-download"
            @click=${this._onDownload}>Download the new key file</a>
          ${this._saved ? html`<p class="muted" data-testid="export-saved">Downloaded.</p>` : nothing}
        </div>
        <button class="secondary" data-testid="export-again" @click=${() => (this._step = 'form')}>Make another</button>
      `;
    }
    const busy = this._step === 'working';
    const kept = !!m?.unsavedKeyFile;
    return html`
      <p>Make a new copy of your key file, with a new passphrase if you like. Your keys stay the same, so your contacts see no change.
        This device cannot export its keys, so the new file is made from your current key file and its passphrase.</p>
      <form @submit=${this._onSubmit} novalidate>
        <label for="export-file">Current key file${kept ? ' (optional)' : ''}</label>
        <input id="export-file" name="keyFile" type="file" accept=".json,application/json" data-testid="export-keyfile"
          ?disabled=${busy} aria-describedby=${kept ? 'export-kept' : 'export-file-help'} />
        ${kept
          ? html`<p id="export-kept" class="muted">You have not saved a key file yet. Leave this empty to use the one made when you
              signed up, which this device kept, sealed with your passphrase.</p>`
          : html`<p id="export-file-help" class="muted">The file named messagehub-${userId}.keyfile.json.</p>`}
        <label for="export-passphrase">Current passphrase</label>
        <input id="export-passphrase" name="passphrase" type="password" autocomplete="current-password" required
          data-testid="export-passphrase" ?disabled=${busy} />
        <mh-new-passphrase label="New passphrase" confirmLabel="Type the new passphrase again" testid="export-new-passphrase"
          meterTestid="export-strength" ?disabled=${busy} .related=${() => [userId]}></mh-new-passphrase>
        ${this._error ? html`<p class="error" role="alert" data-testid="export-error" data-code=${this._code}>${this._error}</p>` : nothing}
        ${busy ? html`<p role="status" data-testid="export-progress">Opening your key file and sealing the new one…</p>` : nothing}
        <div class="actions">
          <button type="submit" data-testid="export-submit" ?disabled=${busy}>Make a new key file</button>
        </div>
      </form>
    `;
  }
}
customElements.define('mh-keyfile-export', MhKeyfileExport);

declare global {
  interface HTMLElementTagNameMap {
    'mh-keyfile-export': MhKeyfileExport;
  }
}
