import { LitElement, css, html, nothing } from 'lit';
import { MessengerController } from '../controllers/messenger-controller.ts';
import { warningText } from '../services/warning-texts.ts';
import { shared } from '../styles/shared.ts';

const fmt = new Intl.NumberFormat('en');

/**
 * On the list while a restore streams (issue 18): how much of the older history is in, then
 * what was recovered and what failed, by warning, until the user dismisses it.
 */
export class MhRestoreStatus extends LitElement {
  static override styles = [
    shared,
    css`
      :host { display: block; }
      .notice, .progress { margin: 0.5rem 0.75rem; }
      .progress { display: flex; gap: 0.75rem; align-items: center; flex-wrap: wrap; }
      progress { flex: 1 1 8rem; }
      ul { padding-left: 1.2rem; }
    `,
  ];

  private readonly messenger = new MessengerController(this);

  override render() {
    const r = this.messenger.value?.restoring;
    if (!r) return nothing;
    const s = r.summary;
    if (!s) {
      // A share, not "n of m messages": its count is of log entries (receipts, reactions and key
      // changes too), which the summary's message count is not; "10 of 251 messages" then
      // "232 messages recovered" read as 19 lost (session 9). `done` never passes `total` (restore-flow.ts).
      return html`<div class="progress muted" role="status" aria-live="polite" data-testid="restore-streaming">
        <span>${r.total ? `Restoring your history: ${Math.floor((100 * r.done) / r.total)}%` : 'Restoring your history…'}</span>
        <progress max=${Math.max(1, r.total)} .value=${r.done} aria-label="History restored"></progress>
      </div>`;
    }
    const failedTotal = s.failed.reduce((n, f) => n + f.count, 0);
    return html`
      <div class="notice" role="region" aria-label="Your account is restored">
        <div data-testid="restore-summary" role="status">
          <p><strong>Your account is restored.</strong> Recovered <strong data-testid="restore-conversations">${fmt.format(s.conversations)}</strong>
            conversation${s.conversations === 1 ? '' : 's'} and
            <strong data-testid="restore-messages">${fmt.format(s.messages)}</strong> message${s.messages === 1 ? '' : 's'}.</p>
          ${failedTotal === 0
            ? html`<p data-testid="restore-failed" data-count="0">Nothing failed.</p>`
            : html`<p data-testid="restore-failed" data-count=${failedTotal}>${fmt.format(failedTotal)} item${failedTotal === 1 ? '' : 's'} could not be recovered:</p>
                <ul>${s.failed.map((f) => html`<li>${f.count} × ${warningText(f.warning)}</li>`)}</ul>`}
        </div>
        <button class="secondary" data-testid="restore-continue" @click=${() => this.messenger.value!.dismissRestore()}>Dismiss</button>
      </div>
    `;
  }
}
customElements.define('mh-restore-status', MhRestoreStatus);

declare global {
  interface HTMLElementTagNameMap {
    'mh-restore-status': MhRestoreStatus;
  }
}
