// SPEC.md is the contract: every rule id it defines must be cited by a test name.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const spec = readFileSync(root + 'SPEC.md', 'utf8');
const defined = [...spec.matchAll(/^- \*\*([A-Z]+[0-9]+)\.\*\*/gm)].map((m) => m[1]!);

/**
 * Test files whose names may cite rules: the protocol's own, and the client's rules (marked
 * "(client)" in SPEC.md) are tested where the client runs: the PWA's services and the
 * malicious-server suites that drive them.
 */
const TEST_DIRS = ['test/', '../pwa/src/services/', '../test/hardening/'];

/** Ids cited in it('...') names, with ranges like "TR1..TR6" expanded. */
function cited(): Set<string> {
  const out = new Set<string>();
  const files = TEST_DIRS.flatMap((d) => readdirSync(root + d).filter((n) => n.endsWith('.test.ts')).map((n) => root + d + n));
  for (const file of files) {
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/\bit\(\s*(['"`])(.*?)\1/g)) {
      const name = m[2]!;
      for (const r of name.matchAll(/\b([A-Z]+)([0-9]+)\.\.\1?([0-9]+)\b/g)) {
        for (let i = Number(r[2]); i <= Number(r[3]); i++) out.add(r[1]! + i);
      }
      for (const id of name.matchAll(/\b([A-Z]+[0-9]+)\b/g)) out.add(id[1]!);
    }
  }
  return out;
}

describe('SPEC.md', () => {
  it('SPEC: every rule id is defined once and cited by at least one test name', () => {
    expect(defined.length).toBeGreaterThan(60);
    expect(new Set(defined).size).toBe(defined.length);
    const c = cited();
    expect(defined.filter((id) => !c.has(id))).toEqual([]);
  });
});
