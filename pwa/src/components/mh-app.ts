import { LitElement, css, html } from 'lit';

/** The application shell. */
export class MhApp extends LitElement {
  static override styles = css`
    :host { display: block; padding: 1rem; }
  `;

  override render() {
    return html`<main><h1>MessageHub</h1></main>`;
  }
}
customElements.define('mh-app', MhApp);

declare global {
  interface HTMLElementTagNameMap {
    'mh-app': MhApp;
  }
}
