import { ContextProvider } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { messengerContext } from '../context.ts';
import { RouterController, type View } from '../controllers/router-controller.ts';
import { Messenger } from '../services/messenger.ts';
import { shared } from '../styles/shared.ts';
import { lazy, loadScreen } from './lazy-screens.ts';
import './mh-conversation-list.ts';

/** The application shell: provides the messenger and switches screens. */
export class MhApp extends LitElement {
  static override styles = [
    shared,
    css`
      :host { display: block; min-height: 100vh; }
      header {
        display: flex; align-items: center; gap: 0.5rem; padding: 0.5rem 0.75rem;
        border-bottom: 1px solid var(--mh-border); background: var(--mh-panel);
      }
      header h1 { font-size: 1.15rem; margin: 0; flex: 1; }
      .status { font-size: 0.85rem; }
      .layout { display: grid; grid-template-columns: 1fr; min-height: calc(100vh - 3.6rem); }
      .pane-list { border-right: 1px solid var(--mh-border); }
      .pane-main { min-width: 0; }
      @media (max-width: 799px) {
        .layout.detail .pane-list { display: none; }
        .layout.list-only .pane-main { display: none; }
      }
      @media (min-width: 800px) {
        .layout { grid-template-columns: minmax(260px, 340px) 1fr; }
        .layout.list-only .pane-main .empty { display: block; }
      }
      .empty { display: none; padding: 2rem; }
      .welcome { max-width: 34rem; margin: 0 auto; padding: 1rem; }
      .center { padding: 2rem; text-align: center; }
    `,
  ];

  static override properties = {
    _view: { state: true },
    _welcomeMode: { state: true },
  };

  declare _view: View;
  declare _welcomeMode: 'create' | 'restore' | 'link';

  private readonly messenger = new Messenger({ origin: location.origin });
  private readonly router = new RouterController(this, (v) => this._show(v));

  constructor() {
    super();
    this._view = this.router.view;
    this._welcomeMode = 'create';
    new ContextProvider(this, { context: messengerContext, initialValue: this.messenger });
    this.messenger.addEventListener('change', () => this.requestUpdate());
    this.addEventListener('mh-navigate', (e) => this._navigate((e as CustomEvent<View>).detail));
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.messenger.phase === 'loading') void this.messenger.start().then(() => this._show(this.router.view));
  }

  override updated(): void {
    // Signed in and the list shown: fetch the conversation screen now (a lazy chunk, from the
    // worker's cache), so the first conversation opened does not wait for it.
    if (this.messenger.phase === 'ready') loadScreen('mh-conversation').catch(() => undefined);
  }

  /** The update prompt (THREATS W1): set by main.ts when a new worker is waiting. */
  setUpdate(apply: (() => void) | null): void {
    this.messenger.offerUpdate(apply);
  }

  private _navigate(view: View): void {
    this.router.go(view);
  }

  /** The router's screen (a click, back, forward or the URL at start) is shown and the messenger told. */
  private _show(view: View): void {
    this._view = view;
    if (this.messenger.phase === 'ready') void this.messenger.open(view.name === 'conversation' ? view.id : null);
  }

  override render() {
    const m = this.messenger;
    const banner = m.updateReady ? html`${lazy('mh-update-banner')}<mh-update-banner></mh-update-banner>` : nothing;
    if (m.phase === 'loading') return html`${banner}<p class="center" role="status">Opening MessageHub…</p>`;
    if (m.phase === 'failed') {
      return html`${banner}<main class="center"><p class="error" role="alert" data-testid="fatal-error">${m.fatal}</p>
        <button data-testid="reload" @click=${() => location.reload()}>Reload</button></main>`;
    }
    if (m.phase === 'elsewhere') {
      return html`${banner}<main class="center" data-testid="open-elsewhere"><h1>MessageHub</h1><p role="status">MessageHub is open in another tab or window.
        It runs in one at a time on this device, so that what you send stays in order.</p>
        <button data-testid="use-here" @click=${() => m.useHere()}>Use it here</button></main>`;
    }
    if (m.phase === 'welcome') {
      return html`${banner}
        <main class="welcome">
          ${this._welcomeMode === 'create'
            ? html`${lazy('mh-onboarding')}<mh-onboarding @mh-restore-instead=${() => (this._welcomeMode = 'restore')}
                @mh-link-instead=${() => (this._welcomeMode = 'link')}></mh-onboarding>`
            : html`${lazy('mh-restore')}<mh-restore .linking=${this._welcomeMode === 'link'} @mh-create-instead=${() => (this._welcomeMode = 'create')}></mh-restore>`}
        </main>`;
    }
    const v = this._view;
    const detail = v.name !== 'list';
    return html`
      ${banner}
      <header>
        <h1>MessageHub</h1>
        <span class="status muted" data-testid="connection-status" role="status">${this._statusText()}</span>
        <button class="secondary" data-testid="open-settings" @click=${() => this._navigate({ name: 'settings' })}>Settings</button>
      </header>
      ${m.keyFileReminder ? html`${lazy('mh-keyfile-reminder')}<mh-keyfile-reminder></mh-keyfile-reminder>` : nothing}
      ${m.restoring ? html`${lazy('mh-restore-status')}<mh-restore-status></mh-restore-status>` : nothing}
      <main class="layout ${detail ? 'detail' : 'list-only'}">
        <nav class="pane-list" aria-label="Conversations">
          <mh-conversation-list .selected=${v.name === 'conversation' ? v.id : null}></mh-conversation-list>
        </nav>
        <section class="pane-main" aria-label=${this._paneLabel()}>
          ${v.name === 'conversation' ? html`${lazy('mh-conversation')}<mh-conversation .conversationId=${v.id} .focusSeq=${v.at ?? null}></mh-conversation>` : nothing}
          ${v.name === 'contact' ? html`${lazy('mh-contact')}<mh-contact .userId=${v.userId} .backTo=${v.from}></mh-contact>` : nothing}
          ${v.name === 'settings' ? html`${lazy('mh-settings')}<mh-settings></mh-settings>` : nothing}
          ${v.name === 'new-group' ? html`${lazy('mh-new-group')}<mh-new-group></mh-new-group>` : nothing}
          ${v.name === 'list' ? html`<p class="empty muted">Choose a conversation or start a new one.</p>` : nothing}
        </section>
      </main>
    `;
  }

  private _paneLabel(): string {
    return { list: 'Welcome', conversation: 'Conversation', contact: 'Safety number', settings: 'Settings', 'new-group': 'New group' }[this._view.name];
  }

  private _statusText(): string {
    switch (this.messenger.connection) {
      case 'online':
        return 'Online';
      case 'connecting':
        return 'Connecting…';
      default:
        return 'Offline: messages are queued';
    }
  }
}
customElements.define('mh-app', MhApp);

declare global {
  interface HTMLElementTagNameMap {
    'mh-app': MhApp;
  }
}
