// Identicons (issue 16): a small picture drawn from a key's SN1 fingerprint, so a changed key
// looks different at a glance. Pure and deterministic; it identifies a key, not a person,
// and never replaces the safety number.
import { svg } from 'lit';

/** 5×5 cells mirrored left to right (15 bits of the fingerprint) and a hue (the next 12 bits). */
export function identiconCells(fingerprintHex: string): { hue: number; cells: boolean[] } {
  const bits = BigInt(`0x${(fingerprintHex.replace(/[^0-9a-f]/gi, '') + '0'.repeat(8)).slice(0, 8)}`);
  const hue = Number((bits >> 4n) & 0xfffn) % 360;
  const cells: boolean[] = [];
  for (let row = 0; row < 5; row++) {
    for (let col = 0; col < 5; col++) {
      const c = col < 3 ? col : 4 - col;
      cells.push(((bits >> BigInt(16 + row * 3 + c)) & 1n) === 1n);
    }
  }
  return { hue, cells };
}

/** The identicon as an inline SVG (decorative: the user id beside it says who it is). */
export function identicon(fingerprintHex: string | undefined, size = 24) {
  if (!fingerprintHex) return null;
  const { hue, cells } = identiconCells(fingerprintHex);
  const cell = (on: boolean, i: number) => (on ? svg`<rect x=${i % 5} y=${Math.floor(i / 5)} width="1" height="1" fill="hsl(${hue} 65% 38%)"></rect>` : null);
  // No white space inside: the heading's text must stay the name alone.
  return svg`<svg class="identicon" data-testid="identicon" data-fingerprint=${fingerprintHex} width=${size} height=${size} viewBox="-0.5 -0.5 6 6" aria-hidden="true" focusable="false"><rect x="-0.5" y="-0.5" width="6" height="6" rx="1" fill="hsl(${hue} 30% 92%)"></rect>${cells.map(cell)}</svg>`;
}
