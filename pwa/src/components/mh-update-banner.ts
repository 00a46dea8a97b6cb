import { LitElement, css, html, nothing } from 'lit';
import { MessengerController } from '../controllers/messenger-controller.ts';
import { shared } from '../styles/shared.ts';

/** "A new version is available": the waiting worker takes over only when the user says so (W1). */
export class MhUpdateBanner extends LitElement {
  static override styles = [
    shared,
    css`
      :host { display: block; }
      div { display: flex; gap: 0.75rem; align-items: center; flex-wrap: wrap; padding: 0.5rem 0.75rem; background: var(--mh-warn-bg); border-bottom: 1px solid var(--mh-warn-border); }
      p { margin: 0; flex: 1; }
    `,
  ];

  private readonly messenger = new MessengerController(this);

  override render() {
    const apply = this.messenger.value?.updateReady;
    if (!apply) return nothing;
    return html`<div role="status" data-testid="update-banner">
      <p>A new version of MessageHub is available.</p>
      <button data-testid="update-reload" @click=${() => apply()}>Reload to update</button>
    </div>`;
  }
}
customElements.define('mh-update-banner', MhUpdateBanner);

declare global {
  interface HTMLElementTagNameMap {
    'mh-update-banner': MhUpdateBanner;
  }
}
