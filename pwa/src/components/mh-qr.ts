import { LitElement, css, html, svg, type PropertyValues } from 'lit';

/** A QR code drawn as SVG (lean-qr, loaded only when a safety number is shown). */
export class MhQr extends LitElement {
  static override styles = css`
    :host { display: inline-block; background: #fff; padding: 0.5rem; border-radius: 0.5rem; }
    svg { display: block; width: 12rem; height: 12rem; }
  `;

  static override properties = {
    payload: { type: String },
    label: { type: String },
    _path: { state: true },
    _size: { state: true },
  };

  declare payload: string;
  declare label: string;
  declare _path: string;
  declare _size: number;

  constructor() {
    super();
    this.payload = '';
    this.label = 'QR code';
    this._path = '';
    this._size = 0;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('payload') && this.payload) void this._make(this.payload);
  }

  private async _make(payload: string): Promise<void> {
    // lean-qr, level M at least: checked once against qrcode-generator, which it replaced at
    // half the size: the same modules for the same payload, up to the mask each one picks.
    const { generate, correction } = await import('lean-qr');
    const qr = generate(payload, { minCorrectionLevel: correction.M });
    const n = qr.size;
    let d = '';
    for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (qr.get(c, r)) d += `M${c + 4} ${r + 4}h1v1h-1z`;
    if (payload === this.payload) {
      this._size = n + 8;
      this._path = d;
    }
  }

  override render() {
    const s = this._size || 1;
    return html`<svg viewBox="0 0 ${s} ${s}" role="img" aria-label=${this.label} data-testid="safety-qr" shape-rendering="crispEdges">
      ${svg`<rect width=${s} height=${s} fill="#fff"></rect><path d=${this._path} fill="#000"></path>`}
    </svg>`;
  }
}
customElements.define('mh-qr', MhQr);

declare global {
  interface HTMLElementTagNameMap {
    'mh-qr': MhQr;
  }
}
