// The shape of the house, checked: imports flow pwa -> protocol <- sync-service, with
// no cycle inside protocol/src, and rules.ts / types.ts stay leaves that everything
// else can import. Import statements are read with the TypeScript compiler's own
// pre-processor (static imports, re-exports and dynamic import() alike).
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PROTOCOL_SRC = join(ROOT, 'protocol', 'src');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every module specifier a file names, as written. */
function specifiers(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((f) => f.fileName);
}

/** Relative specifiers resolved to absolute paths; packages are left out. */
function localImports(file: string): string[] {
  return specifiers(file).filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s));
}

const rel = (p: string): string => relative(ROOT, p).split(sep).join('/');

/** A cycle in a directed graph as a closed path (first node repeated at the end), or null. */
function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (n: string): string[] | null => {
    state.set(n, 'open');
    path.push(n);
    for (const m of graph.get(n) ?? []) {
      if (!graph.has(m)) continue;
      if (state.get(m) === 'open') return [...path.slice(path.indexOf(m)), m];
      if (state.get(m) === undefined) {
        const c = visit(m);
        if (c) return c;
      }
    }
    path.pop();
    state.set(n, 'done');
    return null;
  };
  for (const n of [...graph.keys()].sort()) {
    if (state.get(n) === undefined) {
      const c = visit(n);
      if (c) return c;
    }
  }
  return null;
}

function protocolGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of tsFiles(PROTOCOL_SRC)) graph.set(rel(f), localImports(f).map(rel));
  return graph;
}

/** Files under `from` that import anything under one of `forbidden`, as "file -> target". */
function crossings(from: string, forbidden: string[]): string[] {
  const bad: string[] = [];
  for (const f of tsFiles(join(ROOT, from))) {
    for (const target of localImports(f)) {
      if (forbidden.some((dir) => (target + sep).startsWith(join(ROOT, dir) + sep))) bad.push(`${rel(f)} -> ${rel(target)}`);
    }
  }
  return bad;
}

describe('imports', () => {
  it('the cycle finder finds a cycle, and only a real one', () => {
    expect(findCycle(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]]))).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(new Map([['a', ['a']]]))).toEqual(['a', 'a']);
    expect(findCycle(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]]))).toBeNull();
  });

  it('protocol/src has no import cycle (type-only imports included)', () => {
    const graph = protocolGraph();
    expect(graph.size).toBeGreaterThan(10);
    expect(findCycle(graph)).toBeNull();
  });

  it('rules.ts imports nothing and types.ts nothing but rules.ts', () => {
    expect(specifiers(join(PROTOCOL_SRC, 'rules.ts'))).toEqual([]);
    expect(specifiers(join(PROTOCOL_SRC, 'types.ts'))).toEqual(['./rules.ts']);
  });

  it('protocol/src is isomorphic: no Node built-ins', () => {
    const bad = tsFiles(PROTOCOL_SRC).flatMap((f) => specifiers(f).filter((s) => s.startsWith('node:')).map((s) => `${rel(f)} -> ${s}`));
    expect(bad).toEqual([]);
  });

  it('imports flow pwa -> protocol <- sync-service', () => {
    expect(crossings('protocol', ['pwa', 'sync-service'])).toEqual([]);
    expect(crossings('sync-service', ['pwa'])).toEqual([]);
    expect(crossings('pwa', ['sync-service'])).toEqual([]);
  });
});
