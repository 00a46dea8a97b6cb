// Generates the test identities in fixtures/identities.json (run once: `npx tsx test/support/make-identities.ts`).
// RSA-3072 key generation takes about a second each; tests import these keys instead
// (no key file, no Argon2: these keys never protect anything).
import { writeFileSync } from 'node:fs';
import { FIXTURE_FILE, NAMES, newKeys, type StoredKeys } from './identities.ts';

const out: Record<string, StoredKeys> = {};
for (const name of NAMES) out[name] = await newKeys();
writeFileSync(FIXTURE_FILE, JSON.stringify(out, null, 1) + '\n');
console.log(`wrote ${NAMES.length} identities to ${FIXTURE_FILE}`);
