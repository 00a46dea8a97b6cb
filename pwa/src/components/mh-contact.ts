import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { MessengerController } from '../controllers/messenger-controller.ts';
import type { ContactRow } from '../stores/db.ts';
import { keyChangeText, rotationNotice } from '../services/warning-texts.ts';
import { shared } from '../styles/shared.ts';
import { identicon } from '../services/identicon.ts';
import './mh-qr.ts';

const when = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A contact's safety number (digits and QR), verification, key history, key-change review. */
export class MhContact extends LitElement {
  static override styles = [
    shared,
    css`
      :host { display: block; padding: 1rem; max-width: 44rem; }
      .digits { font-family: ui-monospace, 'SFMono-Regular', Menlo, monospace; font-size: 1.15rem; display: grid;
        grid-template-columns: repeat(4, auto); gap: 0.4rem 1rem; justify-content: start; margin: 0 0 1rem; padding: 0; list-style: none; }
      .fp { font-family: ui-monospace, monospace; font-size: 0.8rem; overflow-wrap: anywhere; }
      ol.history { padding-left: 1.2rem; }
      .verified { color: var(--mh-fg); font-weight: 700; }
      .identicon { vertical-align: middle; border-radius: 0.25rem; }
      .actions { display: flex; gap: 0.75rem; flex-wrap: wrap; margin: 1rem 0; }
    `,
  ];

  static override properties = {
    userId: { type: String },
    backTo: { type: String },
    _contact: { state: true },
    _safety: { state: true },
  };

  declare userId: string;
  declare backTo: string | null;
  declare _contact: ContactRow | null;
  declare _safety: { digits: string; qrPayload: string } | null;

  private readonly messenger = new MessengerController(this, () => void this._load());

  constructor() {
    super();
    this.userId = '';
    this.backTo = null;
    this._contact = null;
    this._safety = null;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('userId')) void this._load();
  }

  private async _load(): Promise<void> {
    const m = this.messenger.value;
    if (!m || !this.userId) return;
    const got = await m.contact(this.userId);
    this._contact = got?.contact ?? null;
    this._safety = got?.safety ?? null;
  }

  private _back(): void {
    const detail = this.backTo ? { name: 'conversation', id: this.backTo } : { name: 'list' };
    this.dispatchEvent(new CustomEvent('mh-navigate', { detail, bubbles: true, composed: true }));
  }

  override render() {
    const c = this._contact;
    const back = html`<button class="secondary" data-testid="contact-back" @click=${this._back}>← Back</button>`;
    if (!c) return html`${back}<p>Loading…</p>`;
    const groups = this._safety ? this._safety.digits.match(/.{5}/g) ?? [] : [];
    return html`
      ${back}
      <h2 data-testid="contact-heading">${identicon(c.fingerprint, 32)} Safety number with <span data-testid="contact-user-id">${c.userId}</span></h2>
      ${c.pending
        ? html`<div class="notice" role="alert" data-testid="key-changed" data-change=${c.pending.change ?? 'unexplained'}>
            <p><strong>${c.userId}'s key has changed.</strong> ${keyChangeText(c.userId, c.pending.change)}</p>
            <p class="fp">${identicon(c.pending.fingerprint, 32)} New key fingerprint: ${c.pending.fingerprint}</p>
            <button data-testid="accept-key" @click=${() => this.messenger.value!.acceptKey(c.userId)}>Accept the new key</button>
          </div>`
        : nothing}
      ${!c.pending && c.rotatedAt
        ? html`<div class="notice" role="status" data-testid="key-rotated"><p>${rotationNotice(c.userId)}</p></div>`
        : nothing}
      ${this.messenger.value?.names.get(c.userId)
        ? html`<p data-testid="contact-name">${c.userId} calls themselves <bdi dir="auto"><strong>${this.messenger.value.names.get(c.userId)}</strong></bdi>.
            A name is chosen by its owner and proves nothing: the user id <strong>${c.userId}</strong> and this safety number are what identify them.</p>`
        : nothing}
      <p>Compare these numbers with the ones on ${c.userId}'s screen, side by side or read aloud on a call. If they match, nobody is in between.</p>
      <ol class="digits" data-testid="safety-number" data-digits=${this._safety?.digits ?? ''} aria-label="Safety number">
        ${groups.map((g) => html`<li>${g}</li>`)}
      </ol>
      ${this._safety ? html`<mh-qr .payload=${this._safety.qrPayload} label="Safety number QR code"></mh-qr>` : nothing}
      <p data-testid="verified-status" data-verified=${c.verified ? 'true' : 'false'} class=${c.verified ? 'verified' : ''}>
        ${c.verified ? `✓ Verified ${c.verifiedAt ? when.format(c.verifiedAt) : ''}` : 'Not verified yet.'}
      </p>
      <div class="actions">
        ${c.verified
          ? html`<button class="secondary" data-testid="unmark-verified" @click=${() => this.messenger.value!.setVerified(c.userId, false)}>Clear verified</button>`
          : html`<button data-testid="mark-verified" ?disabled=${!!c.pending} @click=${() => this.messenger.value!.setVerified(c.userId, true)}>Mark as verified</button>`}
      </div>
      <h3>Key history</h3>
      <ol class="history" data-testid="key-history">
        ${c.history.map(
          (h) => html`<li>
            <span class="fp">${h.fingerprint}</span><br />
            <span class="muted">first seen ${when.format(h.firstSeenAt)}${h.change === 'rotation' ? ' · rotation signed by the previous key' : ''}${h.fingerprint === c.fingerprint ? ' · current' : ''}</span>
          </li>`,
        )}
        ${c.pending ? html`<li><span class="fp">${c.pending.fingerprint}</span><br /><span class="muted">offered ${when.format(c.pending.firstSeenAt)} · not accepted</span></li>` : nothing}
      </ol>
    `;
  }
}
customElements.define('mh-contact', MhContact);

declare global {
  interface HTMLElementTagNameMap {
    'mh-contact': MhContact;
  }
}
