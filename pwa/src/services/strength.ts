// Passphrase strength, by zxcvbn-ts (issue 16, bug 7): a pattern-matching estimate with
// dictionaries of common passwords, names and words, so "Summer2024!" or "Tr0ub4dor&3" rate
// as the guesses they are. The estimator and its dictionaries are loaded on first use
// (a dynamic import): only the screens that ask for a new passphrase pay for them.
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { AppError } from './warnings.ts';

export interface Strength {
  /** 0 very weak … 4 very strong, on the key-file scale below; -1: not rated (empty). */
  score: number;
  label: string;
  /** zxcvbn's warning for the pattern it found, in plain English, or ''. */
  warning: string;
}

/** The score a passphrase guarding a key file must reach: "strong". */
export const REQUIRED_SCORE = 3;

/**
 * The key-file scale, on zxcvbn's estimate of guesses (log10). zxcvbn's own score is made
 * for online logins (its "very strong" starts at 10^10 guesses); a key file is attacked
 * offline, as long as someone likes, so "strong" here starts at 10^12: "ilovemydog"
 * (10^8.3) is weak, "Summer2024!" (10^7) weak, "Tr0ub4dor&3" (10^11) fair, four unrelated
 * words (above 10^20) very strong.
 */
const STEPS = [6, 9, 12, 15];

const LABELS = ['very weak', 'weak', 'fair', 'strong', 'very strong'];

export const NOT_RATED: Strength = { score: -1, label: 'not rated yet', warning: '' };

let loading: Promise<ZxcvbnFactory> | null = null;

/** Loads the estimator once (call when a passphrase screen opens, so it is ready on the first key). */
export function loadEstimator(): Promise<ZxcvbnFactory> {
  loading ??= import('./strength-dictionaries.ts').then(
    (m) => m.makeEstimator(),
    () => Promise.reject(new AppError('strength-unavailable')),
  );
  // A failed load (offline before the chunk was ever fetched) may be tried again.
  loading.catch(() => (loading = null));
  return loading;
}

/** The strength of `pass`, with `related` (the user name, the app's name) counted as known words. */
export async function passphraseStrength(pass: string, related: string[]): Promise<Strength> {
  if (!pass) return { score: -1, label: 'empty', warning: '' };
  const z = await loadEstimator();
  const r = z.check(pass.slice(0, 256), [...related.filter((x) => x.length >= 3), 'messagehub']);
  const score = Math.min(STEPS.filter((step) => r.guessesLog10 >= step).length, r.score + 1);
  return { score, label: LABELS[score]!, warning: r.feedback.warning ?? '' };
}
