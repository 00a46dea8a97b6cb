import { LitElement, css, html } from 'lit';
import { loadEstimator, NOT_RATED, passphraseStrength, REQUIRED_SCORE, type Strength } from '../services/strength.ts';
import { shared } from '../styles/shared.ts';

/** Why a new passphrase was not taken: the screen that asked says it in its own words. */
export type NewPassphraseProblem = 'weak' | 'mismatch' | 'unavailable';

export type NewPassphraseCheck =
  | { ok: true; passphrase: string }
  | { ok: false; problem: NewPassphraseProblem; warning: string };

/**
 * A new passphrase for a key file, typed twice, with its strength as the user types
 * (strength.ts, zxcvbn-ts): one element for sign-up, "make a new key file" and "I lost a
 * device", so the three ask, rate and refuse the same way. `testid` names the first field;
 * the second is `${testid}-confirm`, the meter `meterTestid`.
 */
export class MhNewPassphrase extends LitElement {
  static override styles = [
    shared,
    css`
      :host { display: block; }
      meter { width: 100%; height: 0.8rem; }
    `,
  ];

  static override properties = {
    label: { type: String },
    confirmLabel: { type: String },
    testid: { type: String },
    meterTestid: { type: String },
    disabled: { type: Boolean },
    related: { attribute: false },
    _strength: { state: true },
  };

  declare label: string;
  declare confirmLabel: string;
  declare testid: string;
  declare meterTestid: string;
  declare disabled: boolean;
  /** Words the passphrase must not lean on (the user name): read when it is rated. */
  declare related: () => string[];
  declare _strength: Strength;

  constructor() {
    super();
    this.label = 'Passphrase';
    this.confirmLabel = 'Type the passphrase again';
    this.testid = 'new-passphrase';
    this.meterTestid = 'new-passphrase-strength';
    this.disabled = false;
    this.related = () => [];
    this._strength = NOT_RATED;
  }

  private _field(name: 'pass' | 'confirm'): HTMLInputElement | null {
    return this.renderRoot.querySelector(`#${name}`);
  }

  get passphrase(): string {
    return this._field('pass')?.value ?? '';
  }

  /** Empties both fields, and the meter with them. */
  clear(): void {
    for (const f of [this._field('pass'), this._field('confirm')]) if (f) f.value = '';
    this._strength = NOT_RATED;
  }

  private async _rate(): Promise<Strength> {
    const pass = this.passphrase;
    const rated = await passphraseStrength(pass, this.related());
    // Typed on meanwhile: a newer rating follows.
    if (this.passphrase === pass) this._strength = rated;
    return rated;
  }

  private _onInput(): void {
    void this._rate().catch(() => {
      this._strength = { score: -1, label: 'not checked (the passphrase check could not be loaded)', warning: '' };
    });
  }

  /** Strong enough (REQUIRED_SCORE) and typed the same twice, or why not. */
  async check(): Promise<NewPassphraseCheck> {
    let strength: Strength;
    try {
      strength = await this._rate();
    } catch {
      return { ok: false, problem: 'unavailable', warning: '' };
    }
    if (strength.score < REQUIRED_SCORE) return { ok: false, problem: 'weak', warning: strength.warning };
    if (this.passphrase !== (this._field('confirm')?.value ?? '')) return { ok: false, problem: 'mismatch', warning: '' };
    return { ok: true, passphrase: this.passphrase };
  }

  override render() {
    // The estimator and its dictionaries (~0.8 MB) load when the user reaches these fields, not
    // when the screen opens: the sign-up screen is also the way to restore, which never needs them.
    return html`
      <div @focusin=${() => void loadEstimator().catch(() => undefined)}>
      <label for="pass">${this.label}</label>
      <input id="pass" type="password" autocomplete="new-password" required data-testid=${this.testid} ?disabled=${this.disabled}
        @input=${this._onInput} aria-describedby="strength-text" />
      <meter min="0" max="4" low="2" high="3" optimum="4" .value=${Math.max(0, this._strength.score)} aria-label="${this.label} strength"
        data-testid=${this.meterTestid} data-score=${this._strength.score}></meter>
      <p id="strength-text" class="muted" aria-live="polite">Strength: ${this._strength.label}</p>
      <label for="confirm">${this.confirmLabel}</label>
      <input id="confirm" type="password" autocomplete="new-password" required data-testid="${this.testid}-confirm" ?disabled=${this.disabled} />
      </div>
    `;
  }
}
customElements.define('mh-new-passphrase', MhNewPassphrase);

declare global {
  interface HTMLElementTagNameMap {
    'mh-new-passphrase': MhNewPassphrase;
  }
}
