import { LitElement, css, html, nothing } from 'lit';
import { MessengerController } from '../controllers/messenger-controller.ts';
import { plainError } from '../services/warnings.ts';
import { shared } from '../styles/shared.ts';

interface Detector { detect(source: CanvasImageSource): Promise<{ rawValue: string }[]> }
type DetectorClass = new (o: { formats: string[] }) => Detector;

/**
 * The signed-in device's side of linking by code (protocol LINK1..LINK6): the user types
 * (or scans, where the browser has BarcodeDetector) the code the new device shows; this
 * device checks it and hands over the sealed key file.
 */
export class MhLinkExisting extends LitElement {
  static override styles = [
    shared,
    css`
      :host { display: block; }
      #link-code { font-family: ui-monospace, monospace; font-size: 1.3rem; letter-spacing: 0.08em; text-transform: uppercase; max-width: 18rem; }
      .row { display: flex; gap: 0.75rem; flex-wrap: wrap; margin-top: 0.75rem; }
      video { width: 100%; max-width: 20rem; border-radius: 0.5rem; margin-top: 0.5rem; }
    `,
  ];

  static override properties = {
    _busy: { state: true },
    _error: { state: true },
    _errorCode: { state: true },
    _done: { state: true },
    _needFile: { state: true },
    _scanning: { state: true },
  };

  declare _busy: boolean;
  declare _error: string;
  declare _errorCode: string;
  declare _done: boolean;
  declare _needFile: boolean;
  declare _scanning: boolean;

  private readonly messenger = new MessengerController(this);
  private stream: MediaStream | null = null;

  constructor() {
    super();
    this._busy = false;
    this._error = '';
    this._errorCode = '';
    this._done = false;
    this._needFile = false;
    this._scanning = false;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this._stopScan();
  }

  private get _detector(): DetectorClass | undefined {
    return (globalThis as { BarcodeDetector?: DetectorClass }).BarcodeDetector;
  }

  private async _onSubmit(e: Event): Promise<void> {
    e.preventDefault();
    const code = (this.renderRoot.querySelector('#link-code') as HTMLInputElement).value;
    const file = (this.renderRoot.querySelector('#link-keyfile') as HTMLInputElement | null)?.files?.[0];
    this._error = '';
    this._errorCode = '';
    this._busy = true;
    try {
      const chosen = file && file.size < 1_000_000 ? await file.text() : null;
      await this.messenger.value!.linkSend(code, chosen);
      this._done = true;
    } catch (err) {
      const reason = (err as { reason?: string }).reason;
      this._errorCode = reason ?? 'other';
      this._error = (err as { name?: string }).name === 'LinkFailed' ? (err as Error).message : plainError(err);
      if (reason === 'no-key-file') this._needFile = true;
    } finally {
      this._busy = false;
    }
  }

  private async _scan(): Promise<void> {
    const Detector = this._detector;
    if (!Detector) return;
    this._error = '';
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
    } catch {
      this._error = 'The camera could not be opened. Type the code instead.';
      return;
    }
    this._scanning = true;
    await this.updateComplete;
    const video = this.renderRoot.querySelector('video')!;
    video.srcObject = this.stream;
    await video.play().catch(() => undefined);
    const detector = new Detector({ formats: ['qr_code'] });
    while (this._scanning) {
      const found = await detector.detect(video).catch(() => []);
      const hit = found.find((f) => /^MESSAGEHUB-LINK:/i.test(f.rawValue));
      if (hit) {
        (this.renderRoot.querySelector('#link-code') as HTMLInputElement).value = hit.rawValue.replace(/^MESSAGEHUB-LINK:/i, '');
        this._stopScan();
        break;
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  private _stopScan(): void {
    this._scanning = false;
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    this.stream = null;
  }

  override render() {
    if (this._done) {
      return html`<p role="status" data-testid="link-sent">Sent. Type your key file’s passphrase on the new device to finish.</p>
        <div class="row"><button class="secondary" data-testid="link-another" @click=${() => (this._done = false)}>Link another device</button></div>`;
    }
    return html`
      <form @submit=${this._onSubmit} novalidate>
        <p>On the new device, choose <strong>Link from another device</strong>. Type the code it shows here.</p>
        <p class="notice">Only type a code shown on a device in front of you. Whoever holds the device showing the code
          receives your key file (still locked by your passphrase).</p>
        <label for="link-code">Code from the new device</label>
        <input id="link-code" type="text" data-testid="link-code-input" autocomplete="off" autocapitalize="characters" spellcheck="false"
          placeholder="ABCD-EFGH-JKMN" ?disabled=${this._busy} />
        ${this._needFile
          ? html`<label for="link-keyfile">Your key file</label>
              <input id="link-keyfile" type="file" accept=".json,application/json" data-testid="link-keyfile" ?disabled=${this._busy} />`
          : nothing}
        ${this._scanning ? html`<video muted playsinline aria-label="Camera, looking for the QR code"></video>` : nothing}
        ${this._error ? html`<p class="error" role="alert" data-testid="link-send-error" data-code=${this._errorCode}>${this._error}</p>` : nothing}
        <div class="row">
          <button type="submit" data-testid="link-send" ?disabled=${this._busy}>Link this device</button>
          ${this._detector && !this._scanning
            ? html`<button type="button" class="secondary" data-testid="link-scan" @click=${() => this._scan()}>Scan the QR code</button>`
            : nothing}
          ${this._scanning ? html`<button type="button" class="secondary" @click=${() => this._stopScan()}>Stop scanning</button>` : nothing}
        </div>
      </form>
    `;
  }
}
customElements.define('mh-link-existing', MhLinkExisting);

declare global {
  interface HTMLElementTagNameMap {
    'mh-link-existing': MhLinkExisting;
  }
}
