import { LitElement, css, html, nothing } from 'lit';
import { MessengerController } from '../controllers/messenger-controller.ts';
import type { MessageView } from '../services/views.ts';
import { plainError } from '../services/warnings.ts';
import { shared } from '../styles/shared.ts';

/** The reactions offered in the menu (any emoji sent by others is shown and can be joined). */
const EMOJI = ['👍', '❤️', '😂', '😮', '😢', '🙏'];

/**
 * Under a message (protocol §8a): its reactions, counted, each a toggle; and a menu of what
 * can be done with it: reply, react, and for one's own message edit and delete for everyone.
 * Buttons only, so keyboard and touch work alike. Reply and edit are the composer's business:
 * they are sent up as `mh-reply` and `mh-edit` events.
 */
export class MhMessageActions extends LitElement {
  static override styles = [
    shared,
    css`
      :host { display: flex; flex-wrap: wrap; gap: 0.3rem; align-items: center; margin-left: auto; }
      :host([open]) { flex-basis: 100%; }
      button { min-height: 2.75rem; min-width: 2.75rem; padding: 0.3rem 0.6rem; font-weight: 500; color: var(--mh-fg); background: var(--mh-surface); border-color: var(--mh-border); }
      button.chip { min-height: 1.9rem; min-width: 2.4rem; padding: 0 0.5rem; border-radius: 1rem; font-size: 0.85rem; }
      button.more { min-height: 1.9rem; min-width: 2.4rem; padding: 0 0.4rem; border: none; background: transparent; font-size: 1rem; }
      button[aria-pressed='true'] { border: 2px solid var(--mh-accent); font-weight: 700; }
      .menu { flex-basis: 100%; border-top: 1px solid var(--mh-border); padding-top: 0.3rem; font-size: 1rem; }
      .menu .row { gap: 0.3rem; margin-bottom: 0.3rem; }
      .confirm { font-size: 0.9rem; margin: 0; }
    `,
  ];

  static override properties = {
    conversationId: { type: String },
    message: { attribute: false },
    _open: { state: true },
    _confirm: { state: true },
    _error: { state: true },
  };

  declare conversationId: string;
  declare message: MessageView | undefined;
  declare _open: boolean;
  declare _confirm: boolean;
  declare _error: string;

  private readonly messenger = new MessengerController(this);

  constructor() {
    super();
    this.conversationId = '';
    this._open = false;
    this._confirm = false;
    this._error = '';
  }

  private get _target() {
    return { id: this.message!.id, hash: this.message!.hash! };
  }

  private async _do(fn: () => Promise<void>): Promise<void> {
    this._error = '';
    try {
      await fn();
      this._open = false;
      this._confirm = false;
    } catch (err) {
      this._error = plainError(err);
    }
  }

  /** EVT5: the same emoji again takes the reaction back. */
  private _react(emoji: string, mine: boolean): Promise<void> {
    return this._do(() => this.messenger.value!.react(this.conversationId, this._target, mine ? '' : emoji));
  }

  private _up(name: 'mh-reply' | 'mh-edit'): void {
    this._open = false;
    this.dispatchEvent(new CustomEvent(name, { detail: this.message, bubbles: true, composed: true }));
  }

  protected override updated(): void {
    this.toggleAttribute('open', this._open);
  }

  override render() {
    const msg = this.message;
    const me = this.messenger.value?.me?.userId ?? '';
    if (!msg?.hash || msg.deleted) return nothing;
    const reactions = msg.reactions ?? [];
    const mineEmoji = reactions.find((r) => r.by.includes(me))?.emoji;
    return html`
        ${reactions.map((r) => html`<button type="button" class="chip" data-testid="reaction" data-emoji=${r.emoji} aria-pressed=${r.emoji === mineEmoji ? 'true' : 'false'}
          aria-label="${r.emoji} ${r.by.length}: ${r.by.join(', ')}" @click=${() => this._react(r.emoji, r.emoji === mineEmoji)}>${r.emoji} ${r.by.length}</button>`)}
        <button type="button" class="more" data-testid="message-actions" aria-expanded=${this._open ? 'true' : 'false'} aria-label="Actions for this message"
          @click=${() => { this._open = !this._open; this._confirm = false; }}>⋯</button>
      ${this._open
        ? html`<div class="menu" role="group" aria-label="Message actions">
            <div class="row">
              ${EMOJI.map((e) => html`<button type="button" data-testid="react" data-emoji=${e} aria-pressed=${e === mineEmoji ? 'true' : 'false'}
                aria-label="React with ${e}" @click=${() => this._react(e, e === mineEmoji)}>${e}</button>`)}
            </div>
            <div class="row">
              <button type="button" data-testid="reply" @click=${() => this._up('mh-reply')}>Reply</button>
              ${msg.mine && !msg.attachment ? html`<button type="button" data-testid="edit" @click=${() => this._up('mh-edit')}>Edit</button>` : nothing}
              ${msg.mine ? html`<button type="button" data-testid="delete" @click=${() => { this._confirm = true; }}>Delete for everyone</button>` : nothing}
            </div>
            ${this._confirm
              ? html`<div class="row" role="alert"><p class="confirm">Delete this message for everyone?</p>
                  <button type="button" data-testid="delete-confirm" @click=${() => this._do(() => this.messenger.value!.deleteForEveryone(this.conversationId, this._target))}>Delete</button>
                  <button type="button" data-testid="delete-cancel" @click=${() => { this._confirm = false; }}>Cancel</button></div>`
              : nothing}
          </div>`
        : nothing}
      ${this._error ? html`<p class="error" role="alert">${this._error}</p>` : nothing}
    `;
  }
}
customElements.define('mh-message-actions', MhMessageActions);

declare global {
  interface HTMLElementTagNameMap {
    'mh-message-actions': MhMessageActions;
  }
}
