// SPEC.md is the contract: every rule id it defines must be cited by a test name.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const spec = readFileSync(root + 'SPEC.md', 'utf8');
const defined = [...spec.matchAll(/^- \*\*([A-Z]+[0-9]+)\.\*\*/gm)].map((m) => m[1]!);

/** Ids cited in it('...') names, with ranges like "TR1..TR6" expanded. */
function cited(): Set<string> {
  const out = new Set<string>();
  for (const f of readdirSync(root + 'test').filter((n) => n.endsWith('.test.ts'))) {
    const src = readFileSync(root + 'test/' + f, 'utf8');
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
