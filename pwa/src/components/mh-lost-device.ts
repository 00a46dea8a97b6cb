import { LitElement, css, html, nothing } from 'lit';
import { MessengerController } from '../controllers/messenger-controller.ts';
import type { SessionInfo } from '../services/api.ts';
import type { LostDeviceState, LostProgress, LostStep } from '../services/lost-device.ts';
import { AppError, plainError } from '../services/warnings.ts';
import './mh-new-passphrase.ts';
import { shared } from '../styles/shared.ts';

type Phase = 'confirm' | 'working' | 'save' | 'done';

const STEPS: { step: LostStep; words: string }[] = [
  { step: 'revoke', words: 'Cut the lost device off' },
  { step: 'keys', words: 'Make new keys and seal your new key file' },
  { step: 'rotate', words: 'Replace your account key (signed with your current key)' },
  { step: 'certify', words: 'Vouch for this device with the new key' },
  { step: 'rekey', words: 'Give every conversation new keys' },
  { step: 'archive', words: 'Keep your earlier messages readable with the new key file' },
];

/**
 * "I lost a device" (LOST2): one confirmed flow that revokes the device, replaces the
 * account key, re-keys every conversation, then has the user save the new key file.
 * `target`: the lost device's row; `resume`: an interrupted run to continue.
 */
export class MhLostDevice extends LitElement {
  static override styles = [
    shared,
    css`
      :host { display: block; margin-top: 0.5rem; }
      ol { padding-left: 1.3rem; margin: 0.5rem 0; }
      li[data-state='done'] { color: var(--mh-muted); }
      li[data-state='now'] { font-weight: 700; }
      .actions { margin-top: 0.75rem; display: flex; gap: 0.75rem; flex-wrap: wrap; }
    `,
  ];

  static override properties = {
    target: { attribute: false },
    resume: { attribute: false },
    _phase: { state: true },
    _progress: { state: true },
    _error: { state: true },
    _saved: { state: true },
  };

  declare target: SessionInfo | null;
  declare resume: LostDeviceState | null;
  declare _phase: Phase;
  declare _progress: LostProgress | null;
  declare _error: string;
  declare _saved: boolean;

  private readonly messenger = new MessengerController(this);
  private url: string | null = null;

  constructor() {
    super();
    this.target = null;
    this.resume = null;
    this._phase = 'confirm';
    this._progress = null;
    this._error = '';
    this._saved = false;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.url) URL.revokeObjectURL(this.url);
  }

  private get _name(): string {
    return this.target?.deviceName ?? this.resume?.deviceName ?? 'the lost device';
  }

  /** The passphrase is needed only until the new keys are made. */
  private get _needsPassphrase(): boolean {
    return !this.resume || (this.resume.stage !== 'rotated' && this.resume.pending === null);
  }

  private _cancel(): void {
    this.dispatchEvent(new CustomEvent('mh-lost-close', { bubbles: true, composed: true }));
  }

  private async _onSubmit(e: Event): Promise<void> {
    e.preventDefault();
    const m = this.messenger.value!;
    this._error = '';
    let passphrase: string | null = null;
    if (this._needsPassphrase) {
      const checked = await this.renderRoot.querySelector('mh-new-passphrase')!.check();
      if (!checked.ok) {
        this._error = checked.problem === 'unavailable' ? plainError(new AppError('strength-unavailable'))
          : checked.problem === 'weak' ? 'Choose a stronger passphrase for the new key file: four or more unrelated words, or a longer sentence.'
          : 'The two passphrases are different. Type the same passphrase twice.';
        return;
      }
      passphrase = checked.passphrase;
    }
    const target = this.target
      ? { deviceId: this.target.deviceId!, deviceName: this.target.deviceName, sessionId: this.target.id }
      : { deviceId: this.resume!.deviceId, deviceName: this.resume!.deviceName, sessionId: this.resume!.sessionId };
    this._phase = 'working';
    try {
      const { keyFile } = await m.lostDevice(target, passphrase, (p) => (this._progress = p));
      if (this.url) URL.revokeObjectURL(this.url);
      this.url = URL.createObjectURL(new Blob([keyFile], { type: 'application/json' }));
      this._phase = 'save';
    } catch (err) {
      this._error = `Securing your account stopped: ${plainError(err)} What is done stays done; choose “Continue” to finish.`;
      this.resume = await m.unfinishedLostDevice();
      this._phase = 'confirm';
    }
  }

  private _onDownload(): void {
    this._saved = true;
    void this.messenger.value!.keyFileSaved();
  }

  override render() {
    switch (this._phase) {
      case 'confirm': return this._renderConfirm();
      case 'working': return this._renderProgress();
      case 'save': return this._renderSave();
      case 'done':
        return html`<div class="notice" role="status" data-testid="lost-done">
          <p><strong>${this._name} is cut off, and your account has new keys.</strong> Your contacts see a notice that you changed
            your keys; your other devices need the new key file to sign in again.</p>
          <button class="secondary" data-testid="lost-close" @click=${this._cancel}>Close</button>
        </div>`;
    }
  }

  private _renderConfirm() {
    const name = this._name;
    const resuming = this.resume !== null;
    return html`<form class="notice" aria-label="I lost ${name}" data-testid="lost-form" @submit=${this._onSubmit} novalidate>
      <p><strong>${resuming ? `Finish securing your account after losing ${name}.` : `Lost ${name}?`}</strong>
        ${resuming ? 'Some steps are done already; the rest runs now.' : html`This cuts it off for good and gives your account new keys,
        so whoever has it can neither read new messages nor send as you, even with the keys it holds.`}</p>
      <ol>${STEPS.map((s) => html`<li>${s.words}</li>`)}</ol>
      <p class="muted">Your contacts see a plain notice that you changed your keys on your own device. Your other devices, and this
        one later, need the new key file: you save it at the end. The old key file stops working for new messages.</p>
      ${this._needsPassphrase
        ? html`<mh-new-passphrase label="Passphrase for the new key file" confirmLabel="Type it again" testid="lost-passphrase"
            meterTestid="lost-strength" .related=${() => [this.messenger.value?.me?.userId ?? '']}></mh-new-passphrase>`
        : nothing}
      ${this._error ? html`<p class="error" role="alert" data-testid="lost-error">${this._error}</p>` : nothing}
      <div class="actions">
        <button class="danger" type="submit" data-testid="lost-confirm">${resuming ? 'Continue' : `Yes, I lost ${name}`}</button>
        ${resuming ? nothing : html`<button class="secondary" type="button" data-testid="lost-cancel" @click=${this._cancel}>Cancel</button>`}
      </div>
    </form>`;
  }

  private _renderProgress() {
    const p = this._progress;
    const at = p ? STEPS.findIndex((s) => s.step === p.step) : 0;
    return html`<div class="notice" role="status" aria-live="polite" data-testid="lost-progress" data-step=${p?.step ?? 'revoke'}>
      <p><strong>Securing your account…</strong> Keep this page open.</p>
      <ol>
        ${STEPS.map((s, i) => html`<li data-state=${i < at ? 'done' : i === at ? 'now' : 'todo'}>${s.words}${i === at && s.step === 'rekey' && p
          ? ` (${p.done} of ${p.total})` : ''}${i < at ? ' ✓' : ''}</li>`)}
      </ol>
    </div>`;
  }

  private _renderSave() {
    const userId = this.messenger.value?.me?.userId ?? '';
    return html`<div class="notice" role="region" aria-label="Save your new key file" data-testid="lost-save">
      <p><strong>Done: ${this._name} is cut off and your account has new keys.</strong> Now save your new key file. It opens with the
        passphrase you just chose. Keep it away from this device; your old key file no longer signs you in.</p>
      <div class="actions">
        <a class="button" href=${this.url ?? '#'} download="messagehub-${userId}.keyfile.json" data-testid="lost-download"
          @click=${this._onDownload}>Download the new key file</a>
        <button class="secondary" data-testid="lost-finish" ?disabled=${!this._saved} @click=${() => (this._phase = 'done')}>I saved it</button>
      </div>
      ${this._saved ? html`<p class="muted" data-testid="lost-saved">Downloaded.</p>` : html`<p class="muted">Until you save it, a reminder stays on your conversation list.</p>`}
    </div>`;
  }
}
customElements.define('mh-lost-device', MhLostDevice);

declare global {
  interface HTMLElementTagNameMap {
    'mh-lost-device': MhLostDevice;
  }
}
