// Display names (SPEC §8b, NAME1..NAME4): chosen by each user, carried only inside signed,
// encrypted messages of type "profile", never by the service. A name is cleaned by its
// sender (NAME2), checked strictly by its readers (NAME3), and never shown in a way that
// could pass for another user id (NAME4).

export const NAME_LIMITS = { maxChars: 64, maxBytes: 200 } as const;

// NAME2: control characters, format characters (the bidi embeddings, overrides and
// isolates, marks, zero-width characters) and line or paragraph separators.
const DROP = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/** NAME2: NFC, controls and bidi or format characters removed, spaces collapsed, trimmed, cut to the limits. */
export function cleanDisplayName(raw: string): string {
  let s = raw.normalize('NFC').replace(DROP, '').replace(/\s+/gu, ' ').trim();
  const chars = [...s];
  if (chars.length > NAME_LIMITS.maxChars) s = chars.slice(0, NAME_LIMITS.maxChars).join('').trim();
  while (new TextEncoder().encode(s).length > NAME_LIMITS.maxBytes) s = [...s].slice(0, -1).join('').trim();
  return s;
}

/** NAME3: a name as received must be exactly what NAME2 makes of it, and not empty. */
export function isCleanDisplayName(name: string): boolean {
  return name.length > 0 && cleanDisplayName(name) === name;
}

/** Case, accents and a leading "@" ignored: what NAME4 compares. */
function foldId(s: string): string {
  return s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/^@+/, '').replace(/\s+/g, '');
}

/**
 * NAME4: the name to show for `userId`, or null (show the user id alone) when there is none,
 * it is not clean, or it reads as another user id the reader knows (a contact, or the reader).
 * Wherever a name is shown where trust matters, its user id is shown beside it.
 */
export function shownName(name: string | null | undefined, userId: string, knownUserIds: Iterable<string>): string | null {
  if (!name || !isCleanDisplayName(name)) return null;
  const f = foldId(name);
  for (const id of knownUserIds) if (id !== userId && foldId(id) === f) return null;
  return name;
}
