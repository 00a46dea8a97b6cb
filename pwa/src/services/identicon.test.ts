// Identicons: deterministic, mirrored, and different for different fingerprints.
import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../../protocol/src/index.ts';
import { publicOf } from '../../../test/support/identities.ts';
import { identiconCells } from './identicon.ts';

describe('identicon', () => {
  it('is the same for the same fingerprint (SN1), mirrored, and differs between keys', async () => {
    const a = await fingerprint(publicOf('alice', 'ada'));
    const b = await fingerprint(publicOf('bob', 'bea'));
    expect(identiconCells(a)).toEqual(identiconCells(a));
    const ia = identiconCells(a);
    for (let r = 0; r < 5; r++) for (let c = 0; c < 2; c++) expect(ia.cells[r * 5 + c]).toBe(ia.cells[r * 5 + 4 - c]);
    expect(identiconCells(b)).not.toEqual(ia);
    // One flipped bit of the 27 drawn changes the picture.
    const seen = new Set<string>();
    for (let i = 0; i < 27; i++) {
      const n = (parseInt(a.slice(0, 8), 16) ^ (1 << (30 - i))) >>> 0;
      seen.add(JSON.stringify(identiconCells(n.toString(16).padStart(8, '0') + a.slice(8))));
    }
    expect(seen.size).toBe(27);
    expect(seen.has(JSON.stringify(ia))).toBe(false);
  });
});
