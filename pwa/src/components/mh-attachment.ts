import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import type { AttachmentRef } from '../../../protocol/src/index.ts';
import { MessengerController } from '../controllers/messenger-controller.ts';
import { ApiError, NetworkError } from '../services/api.ts';
import { attachmentFailureText, formatBytes } from '../services/attachment-texts.ts';
import { shared } from '../styles/shared.ts';

/**
 * A file in the timeline (protocol §14): its preview, opened on demand and bound to the file
 * (ATT7), its name and size, and a button that downloads, opens and saves the file; it is
 * saved only once every chunk opened in place and the whole file matched its hash (ATT6).
 */
export class MhAttachment extends LitElement {
  static override styles = [
    shared,
    css`
      :host { display: block; margin: 0.25rem 0; }
      img { display: block; max-width: 100%; height: auto; border-radius: 0.5rem; background: var(--mh-border); }
      .file { display: flex; gap: 0.5rem; align-items: center; flex-wrap: wrap; font-size: 0.9rem; }
      .name { font-weight: 600; overflow-wrap: anywhere; }
    `,
  ];

  static override properties = {
    ref: { attribute: false },
    conversationId: { type: String },
    _previewUrl: { state: true },
    _busy: { state: true },
    _error: { state: true },
  };

  declare ref: AttachmentRef | null;
  declare conversationId: string;
  declare _previewUrl: string | null;
  declare _busy: boolean;
  declare _error: string;

  private readonly messenger = new MessengerController(this);
  private loadedFor: string | null = null;

  constructor() {
    super();
    this.ref = null;
    this.conversationId = '';
    this._previewUrl = null;
    this._busy = false;
    this._error = '';
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this._previewUrl) URL.revokeObjectURL(this._previewUrl);
    this._previewUrl = null;
    this.loadedFor = null;
  }

  protected override updated(_changed: PropertyValues<this>): void {
    const ref = this.ref;
    const m = this.messenger.value;
    if (!ref?.preview || !m || this.loadedFor === ref.blobId) return;
    this.loadedFor = ref.blobId;
    void m.attachmentPreview(this.conversationId, ref).then(
      (blob) => {
        if (blob && this.loadedFor === ref.blobId) this._previewUrl = URL.createObjectURL(blob);
      },
      (err: unknown) => {
        // Offline, or not uploaded yet (a message of ours still queued): try again at the next change.
        if (err instanceof NetworkError || (err instanceof ApiError && err.status === 404)) this.loadedFor = null;
        else this._error = attachmentFailureText(err);
      },
    );
  }

  private async _download(): Promise<void> {
    const ref = this.ref;
    const m = this.messenger.value;
    if (!ref || !m) return;
    this._busy = true;
    this._error = '';
    try {
      const blob = await m.downloadAttachment(this.conversationId, ref);
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = ref.name;
      a.rel = 'noopener';
      this.renderRoot.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      this.dispatchEvent(new CustomEvent('mh-attachment-saved', { detail: { blobId: ref.blobId, size: blob.size }, bubbles: true, composed: true }));
    } catch (err) {
      this._error = attachmentFailureText(err);
    } finally {
      this._busy = false;
    }
  }

  override render() {
    const ref = this.ref;
    if (!ref) return nothing;
    const p = ref.preview;
    return html`
      ${p ? html`<img data-testid="attachment-preview" alt="Preview of ${ref.name}" width=${p.width} height=${p.height}
        src=${this._previewUrl ?? nothing} ?hidden=${!this._previewUrl}>` : nothing}
      <div class="file" data-testid="attachment" data-blob-id=${ref.blobId}>
        <span class="name" data-testid="attachment-name">${ref.name}</span>
        <span class="muted">${formatBytes(ref.size)}</span>
        <button class="secondary" data-testid="attachment-download" ?disabled=${this._busy} @click=${() => void this._download()}>
          ${this._busy ? 'Downloading…' : 'Download'}</button>
      </div>
      ${this._error ? html`<p class="error" role="alert" data-testid="attachment-error">${this._error}</p>` : nothing}
    `;
  }
}
customElements.define('mh-attachment', MhAttachment);

declare global {
  interface HTMLElementTagNameMap {
    'mh-attachment': MhAttachment;
  }
}
