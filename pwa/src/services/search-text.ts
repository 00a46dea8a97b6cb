// Matching for on-device search (issue 16): case- and diacritics-insensitive, any script
// (right-to-left included), with the match mapped back onto the original text so it can
// be highlighted. Pure: no I/O, nothing stored.

/**
 * A text folded for matching (`text`) and, for each folded UTF-16 unit, where the code
 * point it came from starts in the original (`at`, one more entry for the end).
 * Folding: NFKD, lower case, NFKD again, combining marks (\p{M}: accents, Arabic harakat,
 * Hebrew niqqud) and format characters (\p{Cf}: bidi controls, zero-width joiners) dropped.
 */
export interface Folded {
  text: string;
  at: number[];
}

const DROP = /[\p{M}\p{Cf}]/gu;

function foldPiece(s: string): string {
  return s.normalize('NFKD').toLowerCase().normalize('NFKD').replace(DROP, '');
}

/** The folded form of a query (no map needed). */
export function foldQuery(q: string): string {
  return foldPiece(q).replace(/\s+/g, ' ').trim();
}

export function fold(original: string): Folded {
  // Printable ASCII (most messages): lower case is the whole fold, one unit for one.
  if (/^[\x20-\x7e]*$/.test(original)) return { text: original.toLowerCase(), at: Array.from({ length: original.length + 1 }, (_, i) => i) };
  // Precomposed letters fold code point by code point; a base letter followed by combining
  // marks folds to the base letter alone, which maps to the start of the base letter.
  let text = '';
  const at: number[] = [];
  let i = 0;
  for (const ch of original) {
    const f = foldPiece(ch).replace(/\s/g, ' ');
    for (let k = 0; k < f.length; k++) at.push(i);
    text += f;
    i += ch.length;
  }
  at.push(i);
  return { text, at };
}

/** Where `query` (already folded) occurs in the original text, as [start, end) ranges of the original. */
export function findMatches(f: Folded, query: string, limit = 20): [number, number][] {
  const out: [number, number][] = [];
  if (!query) return out;
  let from = 0;
  while (out.length < limit) {
    const k = f.text.indexOf(query, from);
    if (k < 0) break;
    // The end: the start of the code point after the match's last folded unit.
    let end = k + query.length;
    while (end < f.at.length - 1 && f.at[end] === f.at[end - 1]) end++;
    out.push([f.at[k]!, f.at[end]!]);
    from = k + query.length;
  }
  return out;
}

/** Text around a match, cut at about `around` characters each side, as [before, match, after]. */
export function snippet(original: string, range: [number, number], around = 40): [string, string, string] {
  const [s, e] = range;
  let a = Math.max(0, s - around);
  let b = Math.min(original.length, e + around);
  // Do not cut a surrogate pair in two.
  if (a > 0 && /[\uDC00-\uDFFF]/.test(original[a]!)) a--;
  if (b < original.length && /[\uDC00-\uDFFF]/.test(original[b]!)) b++;
  const before = (a > 0 ? '…' : '') + original.slice(a, s).replace(/\s+/g, ' ');
  const after = original.slice(e, b).replace(/\s+/g, ' ') + (b < original.length ? '…' : '');
  return [before, original.slice(s, e), after];
}
