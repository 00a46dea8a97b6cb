import { LitElement, css, html, nothing } from 'lit';
import { MessengerController } from '../controllers/messenger-controller.ts';
import type { SessionInfo } from '../services/api.ts';
import type { LostDeviceState } from '../services/lost-device.ts';
import { lazy } from './lazy-screens.ts';
import { plainError } from '../services/warnings.ts';
import { shared } from '../styles/shared.ts';
import './mh-link-existing.ts';

const when = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function at(iso: string | null): string {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? 'not yet' : when.format(t);
}

/** This account's devices (sessions), with a signed revoke for each other device. */
export class MhDevices extends LitElement {
  static override styles = [
    shared,
    css`
      :host { display: block; }
      ul { list-style: none; padding: 0; margin: 0 0 0.75rem; display: grid; gap: 0.5rem; }
      li { border: 1px solid var(--mh-border); border-radius: 0.5rem; padding: 0.6rem 0.75rem; background: var(--mh-surface); }
      .name { font-weight: 700; overflow-wrap: anywhere; }
      .badge { font-size: 0.8rem; font-weight: 700; border: 1px solid var(--mh-accent); color: var(--mh-accent-text);
        border-radius: 999px; padding: 0.05rem 0.5rem; margin-left: 0.4rem; white-space: nowrap; }
      .meta { margin: 0.2rem 0 0; font-size: 0.9rem; }
      .confirm { margin-top: 0.5rem; }
      li .row { margin-top: 0.4rem; }
    `,
  ];

  static override properties = {
    _devices: { state: true },
    _error: { state: true },
    _confirming: { state: true },
    _busy: { state: true },
    _done: { state: true },
    _linking: { state: true },
    _lost: { state: true },
    _resume: { state: true },
  };

  declare _devices: SessionInfo[] | null;
  declare _error: string;
  declare _confirming: string | null;
  declare _busy: boolean;
  declare _done: string;
  declare _linking: boolean;
  /** The session whose "I lost this device" flow is open. */
  declare _lost: string | null;
  /** An interrupted "I lost a device" run (LOST2). */
  declare _resume: LostDeviceState | null;

  private readonly messenger = new MessengerController(this);

  constructor() {
    super();
    this._devices = null;
    this._error = '';
    this._confirming = null;
    this._busy = false;
    this._done = '';
    this._linking = false;
    this._lost = null;
    this._resume = null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this._load();
  }

  private async _load(): Promise<void> {
    await this.updateComplete;
    const m = this.messenger.value;
    if (!m) return;
    try {
      this._resume = await m.unfinishedLostDevice();
      this._devices = await m.devices();
      this._error = '';
    } catch (e) {
      this._error = `The list of devices could not be loaded. ${plainError(e)}`;
    }
  }

  private async _revoke(d: SessionInfo): Promise<void> {
    this._busy = true;
    this._error = '';
    try {
      await this.messenger.value!.revokeDevice(d.id);
      this._confirming = null;
      this._done = `${d.deviceName} was signed out.`;
      await this._load();
    } catch (e) {
      this._error = `${d.deviceName} could not be signed out. ${plainError(e)}`;
    } finally {
      this._busy = false;
    }
  }

  override render() {
    const list = this._devices;
    return html`
      <h3 id="devices-heading">Your devices</h3>
      <p>Every device signed in to your account. Sign out a device you no longer use; if one was lost or stolen, choose
        “I lost this device”.</p>
      ${this._resume
        ? html`${lazy('mh-lost-device')}<mh-lost-device .resume=${this._resume} @mh-lost-close=${this._closeLost}></mh-lost-device>`
        : nothing}
      ${list === null && !this._error ? html`<p class="muted" role="status">Loading your devices…</p>` : nothing}
      ${list
        ? html`<ul data-testid="device-list" aria-labelledby="devices-heading">
            ${list.map((d) => this._renderDevice(d))}
          </ul>`
        : nothing}
      <p role="status" data-testid="device-status">${this._done}</p>
      ${this._linking
        ? html`<h4>Link a new device</h4><mh-link-existing></mh-link-existing>`
        : list === null && !this._error
          ? nothing // not under the list while it loads: the list would push it down under a tap
          : html`<button class="secondary" data-testid="link-new-device" @click=${() => (this._linking = true)}>Link a new device</button>`}
      ${this._error ? html`<p class="error" role="alert" data-testid="device-error">${this._error}</p>` : nothing}
    `;
  }

  private _closeLost = (): void => {
    this._lost = null;
    this._resume = null;
    void this._load();
  };

  private _renderDevice(d: SessionInfo) {
    const confirming = this._confirming === d.id;
    if (!d.current && this._lost === d.id) {
      return html`<li data-testid="device" data-session-id=${d.id} data-current="false">
        <span class="name" data-testid="device-name">${d.deviceName}</span>
        ${lazy('mh-lost-device')}<mh-lost-device .target=${d} @mh-lost-close=${this._closeLost}></mh-lost-device>
      </li>`;
    }
    return html`<li data-testid="device" data-session-id=${d.id} data-current=${String(d.current)}>
      <span class="name" data-testid="device-name">${d.deviceName}</span>${d.current ? html`<span class="badge">This device</span>` : nothing}
      <p class="meta muted">Linked ${at(d.createdAt)} · last seen ${d.current ? 'now' : at(d.lastSeenAt)}</p>
      ${d.current
        ? nothing
        : confirming
          ? html`<div class="confirm notice" role="alert">
              <p>Sign out <strong>${d.deviceName}</strong>? It stops receiving and sending at once. This device signs the
                request with your account’s key: a stolen session token alone could not do it.</p>
              <p class="muted">A device that still holds your account’s keys can sign in again. If it was lost or stolen, choose
                “I lost this device” instead.</p>
              <div class="row">
                <button class="danger" data-testid="revoke-confirm" ?disabled=${this._busy} @click=${() => this._revoke(d)}>Yes, sign it out</button>
                <button class="secondary" data-testid="revoke-cancel" ?disabled=${this._busy} @click=${() => (this._confirming = null)}>Cancel</button>
              </div>
            </div>`
          : html`<div class="row">
              <button class="secondary" data-testid="revoke-device" aria-label="Sign out ${d.deviceName}, linked ${at(d.createdAt)}"
                @click=${() => { this._confirming = d.id; this._done = ''; }}>Sign out</button>
              ${d.deviceId && !this._resume
                ? html`<button class="danger" data-testid="lost-device" aria-label="I lost ${d.deviceName}, linked ${at(d.createdAt)}"
                    @click=${() => { this._lost = d.id; this._confirming = null; this._done = ''; }}>I lost this device</button>`
                : nothing}
            </div>`}
    </li>`;
  }
}
customElements.define('mh-devices', MhDevices);

declare global {
  interface HTMLElementTagNameMap {
    'mh-devices': MhDevices;
  }
}
