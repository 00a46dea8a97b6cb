import { LitElement, css, html, nothing } from 'lit';
import { LIMITS } from '../../../protocol/src/rules.ts';
import { MessengerController } from '../controllers/messenger-controller.ts';
import { plainError } from '../services/warnings.ts';
import { shared } from '../styles/shared.ts';

/**
 * "New group": a name and the user names of its members (GRP1..GRP4). The name is sealed under
 * the group's key, so the server never sees it; you are the group's admin. The checks (name,
 * size, unknown or own user names, keys waiting for review) are the Messenger's.
 */
export class MhNewGroup extends LitElement {
  static override styles = [
    shared,
    css`
      :host { display: block; padding: 1rem; max-width: 34rem; }
      h2 { margin-top: 0; }
      form { display: flex; flex-direction: column; gap: 0.5rem; }
      textarea { min-height: 6rem; font: inherit; }
      .hint { margin: 0; font-size: 0.85rem; }
    `,
  ];

  static override properties = {
    _busy: { state: true },
    _error: { state: true },
  };

  declare _busy: boolean;
  declare _error: string;

  private readonly messenger = new MessengerController(this);

  constructor() {
    super();
    this._busy = false;
    this._error = '';
  }

  private _nav(detail: unknown): void {
    this.dispatchEvent(new CustomEvent('mh-navigate', { detail, bubbles: true, composed: true }));
  }

  private async _create(e: Event): Promise<void> {
    e.preventDefault();
    const name = (this.renderRoot.querySelector('#group-name') as HTMLInputElement).value;
    const members = (this.renderRoot.querySelector('#group-members') as HTMLTextAreaElement).value.split(/[\s,;]+/).filter((u) => u !== '');
    this._error = '';
    this._busy = true;
    try {
      const id = await this.messenger.value!.createGroup(name, members);
      this._nav({ name: 'conversation', id });
    } catch (err) {
      this._error = plainError(err);
    } finally {
      this._busy = false;
    }
  }

  override render() {
    return html`
      <h2>New group</h2>
      <form @submit=${this._create} data-testid="new-group-form">
        <label for="group-name">Group name</label>
        <input id="group-name" type="text" dir="auto" autocomplete="off" maxlength=${LIMITS.maxGroupNameChars * 2} data-testid="group-name" ?disabled=${this._busy} />
        <p class="hint muted">Only the members can read it: it is encrypted before it leaves this device.</p>
        <label for="group-members">Members (user names, separated by spaces or commas)</label>
        <textarea id="group-members" autocapitalize="none" spellcheck="false" data-testid="group-members" ?disabled=${this._busy}></textarea>
        <p class="hint muted">Up to ${LIMITS.maxMembers - 1} people besides you. You are the group's admin: only admins add or remove members.</p>
        <div class="row">
          <button type="submit" data-testid="group-create" ?disabled=${this._busy}>Create group</button>
          <button type="button" class="secondary" data-testid="group-cancel" @click=${() => this._nav({ name: 'list' })}>Cancel</button>
        </div>
        ${this._error ? html`<p class="error" role="alert" data-testid="group-error">${this._error}</p>` : nothing}
      </form>
    `;
  }
}
customElements.define('mh-new-group', MhNewGroup);

declare global {
  interface HTMLElementTagNameMap {
    'mh-new-group': MhNewGroup;
  }
}
