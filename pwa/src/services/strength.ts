// A small passphrase strength estimate (no dictionary download): bits from length and
// character classes, minus penalties for repeats, sequences, common words and the user name.
const COMMON = ['password', 'passwort', 'qwerty', 'letmein', 'welcome', 'admin', 'iloveyou', 'monkey', 'dragon', 'secret', 'messagehub', '123456', 'abc123'];
const LABELS = ['very weak', 'weak', 'fair', 'strong', 'very strong'];

export function passphraseStrength(pass: string, related: string[]): { score: number; label: string; bits: number } {
  if (!pass) return { score: 0, label: 'empty', bits: 0 };
  let pool = 0;
  if (/[a-z]/.test(pass)) pool += 26;
  if (/[A-Z]/.test(pass)) pool += 26;
  if (/[0-9]/.test(pass)) pool += 10;
  if (/[^a-zA-Z0-9]/.test(pass)) pool += 33;
  // Distinct characters bound the real alphabet of short, repetitive passphrases.
  const distinct = new Set(pass).size;
  let bits = pass.length * Math.log2(Math.max(2, Math.min(pool, distinct * 3)));
  const lower = pass.toLowerCase();
  for (const w of [...COMMON, ...related.map((r) => r.toLowerCase()).filter((r) => r.length >= 3)]) {
    if (lower.includes(w)) bits -= w.length * 3.5;
  }
  if (/(.)\1{2,}/.test(pass)) bits -= 10;
  if (/(?:abc|bcd|cde|123|234|345|456|567|678|789|qwe|wer|asd)/i.test(pass)) bits -= 8;
  const words = pass.trim().split(/[\s\-_.]+/).filter((w) => w.length >= 3).length;
  if (words >= 4) bits += 10;
  bits = Math.max(0, bits);
  const score = bits < 28 ? 0 : bits < 45 ? 1 : bits < 60 ? 2 : bits < 80 ? 3 : 4;
  return { score, label: LABELS[score]!, bits: Math.round(bits) };
}
