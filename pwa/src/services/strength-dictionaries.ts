// The passphrase strength estimator with its dictionaries (zxcvbn-ts: common passwords,
// names, English words, keyboard patterns, l33t). Large, so strength.ts loads this module
// only on the passphrase screens (a chunk of its own, kept out of the precache).
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as en from '@zxcvbn-ts/language-en';

export function makeEstimator(): ZxcvbnFactory {
  return new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...en.dictionary },
    graphs: common.adjacencyGraphs,
    translations: en.translations,
  });
}
