import { LitElement, css, html, nothing } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import { MessengerController } from '../controllers/messenger-controller.ts';
import { ApiError } from '../services/api.ts';
import type { PendingAccount } from '../services/onboarding.ts';
import { AppError, plainError } from '../services/warnings.ts';
import { loadEstimator } from '../services/strength.ts';
import type { MhNewPassphrase } from './mh-new-passphrase.ts';
import './mh-new-passphrase.ts';
import { shared } from '../styles/shared.ts';

type Step = 'form' | 'checking' | 'generating' | 'save' | 'registering';

/** Create an account: name, passphrase, keys with progress, key file saved, register. */
export class MhOnboarding extends LitElement {
  static override styles = [
    shared,
    css`
      :host { display: block; }
      .save { margin-top: 1rem; }
      .check { display: flex; gap: 0.5rem; align-items: flex-start; font-weight: 400; }
      .check input { width: 1.25rem; height: 1.25rem; margin-top: 0.1rem; flex: none; }
      .skip { border-top: 1px solid var(--mh-border); padding-top: 0.5rem; }
      .actions { margin-top: 1rem; display: flex; gap: 0.75rem; flex-wrap: wrap; }
      .working { position: relative; overflow: hidden; height: 0.6rem; border-radius: 0.3rem; background: var(--mh-border); }
      /* A transform animation runs on the compositor, so it moves even while Argon2id holds the page. */
      .working span { position: absolute; inset: 0; width: 40%; border-radius: 0.3rem; background: var(--mh-accent); animation: mh-working 1.2s ease-in-out infinite; will-change: transform; }
      @keyframes mh-working { from { transform: translateX(-100%); } to { transform: translateX(250%); } }
      @media (prefers-reduced-motion: reduce) { .working span { animation-duration: 3s; } }
    `,
  ];

  static override properties = {
    _step: { state: true },
    _error: { state: true },
    _progress: { state: true },
    _stageText: { state: true },
    _saved: { state: true },
    _downloaded: { state: true },
    _skip: { state: true },
  };

  declare _step: Step;
  declare _error: string;
  declare _progress: number;
  declare _stageText: string;
  declare _saved: boolean;
  declare _downloaded: boolean;
  declare _skip: boolean;

  private readonly messenger = new MessengerController(this);

  private pending: PendingAccount | null = null;
  private keyFileUrl: string | null = null;

  constructor() {
    super();
    this._step = 'form';
    this._error = '';
    this._progress = 0;
    this._stageText = '';
    this._saved = false;
    this._downloaded = false;
    this._skip = false;
  }

  /** Continue needs the download and the confirmation, or the explicit choice to go on without. */
  private get _canContinue(): boolean {
    return (this._downloaded && this._saved) || this._skip;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // While the user types: the passphrase's key derivation (messenger.prepareKeyFile). The
    // strength estimator with its dictionaries (a chunk of their own, ~0.8 MB and ~0.6 s of
    // main thread to unpack) loads once the user starts on this form: someone who goes on
    // to restore from a key file never needs it, and it would compete with the restore.
    this.messenger.value?.prepareKeyFile();
  }

  private _warmStrength(e: FocusEvent): void {
    // Only a field: "I have a key file" is a button in this form, and focusing it on the
    // way to the restore loaded the dictionaries beside the restore (issue 18's profile).
    if (e.target instanceof HTMLInputElement) void loadEstimator().catch(() => undefined);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.keyFileUrl) URL.revokeObjectURL(this.keyFileUrl);
  }

  private _input(name: string): HTMLInputElement {
    return this.renderRoot.querySelector(`[name="${name}"]`) as HTMLInputElement;
  }

  private get _newPassphrase(): MhNewPassphrase {
    return this.renderRoot.querySelector('mh-new-passphrase')!;
  }

  private async _onCreate(e: Event): Promise<void> {
    e.preventDefault();
    const m = this.messenger.value!;
    const userName = this._input('userName').value.trim();
    const pass = this._newPassphrase.passphrase;
    this._error = '';
    try {
      m.checkUserName(userName);
      if (!pass) throw new AppError('passphrase-empty');
      const checked = await this._newPassphrase.check();
      if (!checked.ok) {
        if (checked.problem === 'unavailable') throw new AppError('strength-unavailable');
        this._error = checked.problem === 'weak'
          ? `Choose a stronger passphrase: use four or more unrelated words, or a longer sentence.${checked.warning ? ` (${checked.warning})` : ''}`
          : 'The two passphrases are different. Type the same passphrase twice.';
        return;
      }
      // Issue 16, bug 3: a taken name is said now, before any key is made or saved.
      this._step = 'checking';
      if (!(await m.nameIsFree(userName))) {
        this._step = 'form';
        this._error = plainError(new ApiError(409, 'user_name_taken', ''));
        return;
      }
      this._step = 'generating';
      this._progress = 0;
      this.pending = await m.generateAccount(userName, pass, (stage, fraction) => {
        const base = stage === 'keys' ? 0 : stage === 'kdf' ? 0.4 : 0.8;
        const span = stage === 'keys' ? 0.4 : stage === 'kdf' ? 0.4 : 0.2;
        this._progress = Math.round((base + span * fraction) * 100);
        this._stageText = stage === 'keys' ? 'Making your keys…' : stage === 'kdf' ? 'Protecting them with your passphrase…' : 'Sealing your key file…';
      });
      this._progress = 100;
      if (this.keyFileUrl) URL.revokeObjectURL(this.keyFileUrl);
      this.keyFileUrl = URL.createObjectURL(new Blob([this.pending.keyFile], { type: 'application/json' }));
      this._step = 'save';
    } catch (err) {
      this._step = 'form';
      this._error = plainError(err);
    }
  }

  private async _onFinish(): Promise<void> {
    if (!this.pending || !this._canContinue) return;
    const saved = this._downloaded && this._saved;
    this._error = '';
    this._step = 'registering';
    try {
      await this.messenger.value!.finishAccount(this.pending, saved);
      this.pending = null;
      void this.messenger.value!.enterApp();
    } catch (err) {
      if ((err as { code?: string }).code === 'user_name_taken') {
        // The key file just saved names a user that is not ours: start again with another name.
        this.pending = null;
        this._saved = false;
        this._downloaded = false;
        this._skip = false;
        this._step = 'form';
        this._newPassphrase?.clear(); // the key file's passphrase goes with it: fields and meter empty again
        this._error = 'That user name is taken. Choose another one; the key file you saved for it cannot be used, delete it.';
        return;
      }
      this._step = 'save';
      this._error = plainError(err);
    }
  }

  override render() {
    if (this._step === 'save' || this._step === 'registering') return this._renderSave();
    const busy = this._step === 'generating' || this._step === 'checking';
    const kdf = this._stageText.startsWith('Protecting');
    return html`
      <h1>Create your MessageHub account</h1>
      <p>Your messages are encrypted on this device. Only the people you write to can read them.</p>
      <form @submit=${this._onCreate} @focusin=${this._warmStrength} novalidate>
        <label for="userName">User name</label>
        <input id="userName" name="userName" type="text" autocomplete="username" required minlength="3" maxlength="32"
          autocapitalize="none" spellcheck="false" data-testid="onboarding-username" ?disabled=${busy} aria-describedby="userName-help" />
        <p id="userName-help" class="muted">3 to 32 letters, digits, dots, dashes or underscores.</p>
        <mh-new-passphrase testid="onboarding-passphrase" meterTestid="passphrase-strength" ?disabled=${busy}
          .related=${() => [this._input('userName')?.value ?? '']}></mh-new-passphrase>
        ${this._error ? html`<p class="error" role="alert" data-testid="onboarding-error">${this._error}</p>` : nothing}
        ${this._step === 'checking' ? html`<p role="status" data-testid="name-checking">Checking that the user name is free…</p>` : nothing}
        ${this._step === 'generating'
          ? html`<div role="status" aria-live="polite" data-testid="keygen-progress" data-stage=${kdf ? 'kdf' : 'other'}>
              ${kdf
                // Argon2id gives no progress while it runs (and holds the page): a moving bar, no frozen number.
                ? html`<p>${this._stageText} This takes a few seconds.</p>
                    <div class="working" aria-label="Key generation progress" role="progressbar"><span></span></div>`
                : html`<p>${this._stageText || 'Making your keys…'} ${this._progress}%</p>
                    <progress max="100" .value=${this._progress} aria-label="Key generation progress"></progress>`}
            </div>`
          : nothing}
        <div class="actions">
          <button type="submit" data-testid="onboarding-create" ?disabled=${busy}>Create account</button>
          <button type="button" class="secondary" data-testid="go-restore" ?disabled=${busy}
            @click=${() => this.dispatchEvent(new CustomEvent('mh-restore-instead', { bubbles: true, composed: true }))}>
            I have a key file
          </button>
          <button type="button" class="secondary" data-testid="go-link" ?disabled=${busy}
            @click=${() => this.dispatchEvent(new CustomEvent('mh-link-instead', { bubbles: true, composed: true }))}>
            Link from another device
          </button>
        </div>
      </form>
    `;
  }

  private _renderSave() {
    const userId = this.pending?.identity.userId ?? '';
    const busy = this._step === 'registering';
    return html`
      <h1>Save your key file</h1>
      <p>Your key file and passphrase are the only way to open your messages on a new device. Nobody, not even the
        server, can recover them for you. Save the file somewhere safe, away from this device.</p>
      <a class="button" href=${this.keyFileUrl ?? '#'} download="messagehub-${userId}.keyfile.json" data-testid="download-keyfile"
        @click=${() => (this._downloaded = true)}>Download key file</a>
      ${this._downloaded ? html`<p class="muted" role="status" data-testid="keyfile-downloaded">Downloaded. Check that the file is where you expect.</p>` : nothing}
      <div class="save">
        <label class="check">
          <input type="checkbox" data-testid="keyfile-saved" .checked=${this._saved} ?disabled=${!this._downloaded || busy}
            aria-describedby=${ifDefined(this._downloaded ? undefined : 'saved-help')} @change=${(e: Event) => (this._saved = (e.target as HTMLInputElement).checked)} />
          I saved my key file and I remember my passphrase.
        </label>
        ${this._downloaded ? nothing : html`<p id="saved-help" class="muted">Download the key file first.</p>`}
      </div>
      <div class="save skip">
        <label class="check">
          <input type="checkbox" data-testid="keyfile-skip" .checked=${this._skip} ?disabled=${busy}
            @change=${(e: Event) => (this._skip = (e.target as HTMLInputElement).checked)} />
          Continue without saving a key file. I understand I can lose everything: if this device is lost or its data is
          deleted, my messages and my user name are gone for good.
        </label>
      </div>
      ${this._error ? html`<p class="error" role="alert" data-testid="onboarding-error">${this._error}</p>` : nothing}
      ${busy ? html`<p role="status">Registering…</p>` : nothing}
      <div class="actions">
        <button data-testid="onboarding-continue" ?disabled=${!this._canContinue || busy} @click=${this._onFinish}>Continue</button>
      </div>
    `;
  }
}
customElements.define('mh-onboarding', MhOnboarding);

declare global {
  interface HTMLElementTagNameMap {
    'mh-onboarding': MhOnboarding;
  }
}
