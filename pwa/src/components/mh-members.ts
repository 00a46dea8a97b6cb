import { LitElement, css, html, nothing } from 'lit';
import { MessengerController } from '../controllers/messenger-controller.ts';
import { asUserId } from '../services/composing.ts';
import { plainError } from '../services/warnings.ts';
import { shared } from '../styles/shared.ts';

/**
 * The members of one conversation (THREATS L9): who is in it, "Add someone" by user name and
 * "Remove" with a confirmation. Each change is a signed epoch made by the Messenger.
 */
export class MhMembers extends LitElement {
  static override styles = [
    shared,
    css`
      :host { display: block; padding: 0.5rem 0.75rem; border-bottom: 1px solid var(--mh-border); }
      h3 { margin: 0 0 0.4rem; font-size: 1rem; }
      ul { list-style: none; margin: 0 0 0.5rem; padding: 0; display: flex; flex-direction: column; gap: 0.35rem; }
      li { display: flex; gap: 0.5rem; align-items: center; flex-wrap: wrap; }
      li .who { flex: 1; min-width: 6rem; overflow-wrap: anywhere; }
      /* Compact, so a member's two buttons stay on their line on a phone (390 px wide). */
      li button { padding: 0.35rem 0.6rem; }
      [data-testid='leave-group'], [data-testid='leave-confirmation'] { margin-top: 0.5rem; }
      .confirm { flex-basis: 100%; margin: 0; }
    `,
  ];

  static override properties = {
    conversationId: { type: String },
    readOnly: { type: Boolean },
    _confirming: { state: true },
    _busy: { state: true },
    _error: { state: true },
  };

  declare conversationId: string;
  /** No changes offered (this user was removed, or the conversation waits as a request). */
  declare readOnly: boolean;
  declare _confirming: string;
  declare _busy: boolean;
  declare _error: string;

  private readonly messenger = new MessengerController(this);

  constructor() {
    super();
    this.conversationId = '';
    this.readOnly = false;
    this._confirming = '';
    this._busy = false;
    this._error = '';
  }

  private async _run(fn: () => Promise<void>): Promise<boolean> {
    this._error = '';
    this._busy = true;
    try {
      await fn();
      return true;
    } catch (err) {
      this._error = plainError(err);
      return false;
    } finally {
      this._busy = false;
    }
  }

  private async _add(e: Event): Promise<void> {
    e.preventDefault();
    const input = this.renderRoot.querySelector('#member-add') as HTMLInputElement;
    const name = input.value.trim();
    if (!name) return;
    // Adding someone already in it changes nothing (the composer's change is idempotent, for
    // retries); said here, or the field just emptied (session 9).
    const members = this.messenger.value?.summaries.find((s) => s.conversationId === this.conversationId)?.members ?? [];
    const userId = asUserId(name);
    if (members.includes(userId)) {
      this._error = `${userId} is already a member.`;
      return;
    }
    if (await this._run(() => this.messenger.value!.addMember(this.conversationId, name))) input.value = '';
  }

  /** Safety numbers per member (the contact screen, back to this conversation). */
  private _safety(userId: string): void {
    this.dispatchEvent(new CustomEvent('mh-navigate', { detail: { name: 'contact', userId, from: this.conversationId }, bubbles: true, composed: true }));
  }

  private async _leave(): Promise<void> {
    if (await this._run(() => this.messenger.value!.leaveGroup(this.conversationId))) this._confirming = '';
  }

  private async _remove(userId: string): Promise<void> {
    if (await this._run(() => this.messenger.value!.removeMember(this.conversationId, userId))) this._confirming = '';
  }

  override render() {
    const m = this.messenger.value;
    const me = m?.me?.userId ?? '';
    const summary = m?.summaries.find((s) => s.conversationId === this.conversationId);
    const members = summary?.members ?? [];
    // GRP5: in a group only its admins add and remove; everyone sees who the admins are.
    const group = summary?.group ?? null;
    const admin = (u: string) => group !== null && group.admins.includes(u);
    const mayChange = !this.readOnly && (group === null || admin(me));
    return html`
      <h3 id="members-heading">Members (${members.length})</h3>
      <ul aria-labelledby="members-heading">
        ${members.map((u) => html`<li data-testid="member" data-user=${u} data-me=${u === me ? 'true' : 'false'} data-admin=${admin(u) ? 'true' : 'false'}>
          <span class="who">${u}${u === me ? html` <span>(you)</span>` : nothing}${admin(u) ? html` <span class="muted">admin</span>` : nothing}</span>
          ${group !== null && u !== me
            ? html`<button class="secondary" data-testid="member-safety-number" aria-label="Safety number with ${u}"
                @click=${() => this._safety(u)}>Safety number</button>`
            : nothing}
          ${u === me || !mayChange
            ? nothing
            : this._confirming === u
              ? html`<p class="confirm" data-testid="member-remove-confirmation">Remove ${u}? They will not read anything sent from now on.</p>
                  <button class="danger" data-testid="member-remove-confirm" ?disabled=${this._busy} @click=${() => this._remove(u)}>Remove ${u}</button>
                  <button class="secondary" data-testid="member-remove-cancel" @click=${() => { this._confirming = ''; }}>Cancel</button>`
              : html`<button class="secondary" data-testid="member-remove" aria-label="Remove ${u}"
                  @click=${() => { this._error = ''; this._confirming = u; }}>Remove</button>`}
        </li>`)}
      </ul>
      ${group !== null && !mayChange && !this.readOnly
        ? html`<p class="muted" data-testid="members-admins-only">Only the group's admins add or remove members.</p>`
        : nothing}
      ${!mayChange
        ? nothing
        : html`<form @submit=${this._add}>
            <label for="member-add">Add someone (user name)</label>
            <div class="row">
              <input id="member-add" type="text" autocomplete="off" autocapitalize="none" spellcheck="false" data-testid="member-add-input" />
              <button type="submit" data-testid="member-add" ?disabled=${this._busy}>Add</button>
            </div>
          </form>`}
      ${group !== null && !this.readOnly
        ? this._confirming === me
          ? html`<p data-testid="leave-confirmation">Leave ${group.name ?? 'this group'}? You will not read anything sent from now on.</p>
              <button class="danger" data-testid="leave-confirm" ?disabled=${this._busy} @click=${() => this._leave()}>Leave the group</button>
              <button class="secondary" data-testid="leave-cancel" @click=${() => { this._confirming = ''; }}>Cancel</button>`
          : html`<button class="secondary" data-testid="leave-group" @click=${() => { this._error = ''; this._confirming = me; }}>Leave the group</button>`
        : nothing}
      ${this._error ? html`<p class="error" role="alert" data-testid="members-error">${this._error}</p>` : nothing}
    `;
  }
}
customElements.define('mh-members', MhMembers);

declare global {
  interface HTMLElementTagNameMap {
    'mh-members': MhMembers;
  }
}
