import { LitElement, css, html, nothing } from 'lit';
import { MessengerController } from '../controllers/messenger-controller.ts';
import type { PushOutcome } from '../services/push.ts';
import { shared } from '../styles/shared.ts';

type Permission = NotificationPermission | 'unsupported';

const PUSH_TEXT: Record<PushOutcome, string> = {
  subscribed: 'Also while MessageHub is closed, through your browser’s push service (it learns no sender and no text).',
  unsubscribed: 'No more pushes to this device.',
  unavailable: 'No push service here: you are told only while MessageHub is open.',
  failed: 'Push could not be set up: turn notifications off and on to retry.',
};

/**
 * Settings › Notifications (issue 16; SPEC NOTE2): turn system notifications on (the
 * browser's permission is asked here, on the user's click, never on load), and the opt-in
 * to show sender and text in them. Web Push is set up with them (services/push.ts).
 */
export class MhNotificationSettings extends LitElement {
  static override styles = [
    shared,
    css`
      :host { display: block; }
      label.check { display: flex; gap: 0.5rem; align-items: flex-start; margin: 0.75rem 0 0.25rem; }
      label.check input { margin-top: 0.25rem; }
    `,
  ];

  static override properties = {
    _permission: { state: true },
    _push: { state: true },
    _busy: { state: true },
  };

  declare _permission: Permission;
  declare _push: PushOutcome | null;
  declare _busy: boolean;

  private readonly messenger = new MessengerController(this);

  constructor() {
    super();
    this._permission = typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
    this._push = null;
    this._busy = false;
  }

  private async _turnOn(): Promise<void> {
    const m = this.messenger.value!;
    this._busy = true;
    try {
      // From this click only: the browser asks the user.
      this._permission = await Notification.requestPermission();
      if (this._permission !== 'granted') return;
      await m.setNotificationPrefs({ enabled: true });
      this._push = await m.setPush(true);
    } finally {
      this._busy = false;
    }
  }

  private async _turnOff(): Promise<void> {
    const m = this.messenger.value!;
    this._busy = true;
    try {
      await m.setNotificationPrefs({ enabled: false });
      this._push = await m.setPush(false);
    } finally {
      this._busy = false;
    }
  }

  override render() {
    const m = this.messenger.value;
    const prefs = m?.notificationPrefs ?? { enabled: false, previews: false };
    const on = prefs.enabled && this._permission === 'granted';
    return html`
      <h3 id="notify-heading">Notifications</h3>
      ${this._permission === 'unsupported'
        ? html`<p data-testid="notify-status">This browser cannot show notifications.</p>`
        : this._permission === 'denied'
          ? html`<p data-testid="notify-status">Blocked in this browser’s site settings.</p>`
          : html`<p data-testid="notify-status">${on
              ? 'On: you are told about new messages while MessageHub is in the background.'
              : 'Off: new messages show only as a count in the title and on the app icon.'}</p>
            ${on
              ? html`<button class="secondary" data-testid="notify-disable" ?disabled=${this._busy} @click=${this._turnOff}>Turn off notifications</button>`
              : html`<button data-testid="notify-enable" ?disabled=${this._busy} @click=${this._turnOn}>Turn on notifications</button>`}`}
      ${this._push ? html`<p class="muted" data-testid="push-status" data-outcome=${this._push}>${PUSH_TEXT[this._push]}</p>` : nothing}
      <label class="check">
        <input type="checkbox" data-testid="notify-previews" aria-describedby="previews-help" .checked=${prefs.previews}
          @change=${(e: Event) => void m?.setNotificationPrefs({ previews: (e.target as HTMLInputElement).checked })} />
        <span>Show sender and text in notifications</span>
      </label>
      <p id="previews-help" class="muted">Your system may show notifications on a locked screen and keep them. Off: they say only “New message”.</p>
    `;
  }
}
customElements.define('mh-notification-settings', MhNotificationSettings);

declare global {
  interface HTMLElementTagNameMap {
    'mh-notification-settings': MhNotificationSettings;
  }
}
