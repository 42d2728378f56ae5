import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildGraph, findCycles, formatCycle, importsOf, tangledComponents } from './check-import-cycles.mjs';

describe('importsOf', () => {
  it('reads value, type-only, re-export, import-type and dynamic imports', () => {
    const source = [
      "import { a } from './a.js';",
      "import type { B } from './b.js';",
      "import { type C, type D } from './c.js';",
      "import { type E, e } from './e.js';",
      "export { f } from './f.js';",
      "export type { G } from './g.js';",
      "export * from './h.js';",
      "let i: import('./i.js').I;",
      "const j = () => import('./j.js');",
      "import './k.js';",
    ].join('\n');
    expect(importsOf('x.ts', source)).toEqual([
      { specifier: './a.js', typeOnly: false },
      { specifier: './b.js', typeOnly: true },
      { specifier: './c.js', typeOnly: true },
      { specifier: './e.js', typeOnly: false },
      { specifier: './f.js', typeOnly: false },
      { specifier: './g.js', typeOnly: true },
      { specifier: './h.js', typeOnly: false },
      { specifier: './i.js', typeOnly: true },
      { specifier: './j.js', typeOnly: false },
      { specifier: './k.js', typeOnly: false },
    ]);
  });
});

describe('findCycles', () => {
  const graph = (edges) => {
    const g = new Map();
    for (const [from, to, typeOnly = false] of edges) {
      if (!g.has(from)) g.set(from, new Map());
      if (!g.has(to)) g.set(to, new Map());
      g.get(from).set(to, typeOnly);
    }
    return g;
  };

  it('finds nothing in a graph whose imports all point one way', () => {
    const g = graph([
      ['a', 'b'],
      ['b', 'c'],
      ['a', 'c'],
    ]);
    expect(tangledComponents(g)).toEqual([]);
    expect(findCycles(g)).toEqual([]);
  });

  it('finds a two-file cycle, a longer one and a self-import, each once', () => {
    const g = graph([
      ['a', 'b'],
      ['b', 'a', true],
      ['c', 'd'],
      ['d', 'e'],
      ['e', 'c'],
      ['f', 'f'],
      ['e', 'z'],
    ]);
    expect(tangledComponents(g)).toEqual([['a', 'b'], ['c', 'd', 'e'], ['f']]);
    expect(findCycles(g)).toEqual([
      ['a', 'b', 'a'],
      ['c', 'd', 'e', 'c'],
      ['f', 'f'],
    ]);
  });

  it('gives every file of a tangled component a shortest cycle through it', () => {
    // a ⇄ b and b → c → a: one component, two cycles.
    const g = graph([
      ['a', 'b'],
      ['b', 'a'],
      ['b', 'c'],
      ['c', 'a'],
    ]);
    const cycles = findCycles(g);
    expect(cycles).toEqual([
      ['a', 'b', 'a'],
      ['a', 'b', 'c', 'a'],
    ]);
    expect(new Set(cycles.flat())).toEqual(new Set(['a', 'b', 'c']));
  });

  it('marks type-only edges when formatting', () => {
    const g = graph([
      ['/r/a.ts', '/r/b.ts'],
      ['/r/b.ts', '/r/a.ts', true],
    ]);
    expect(formatCycle(['/r/a.ts', '/r/b.ts', '/r/a.ts'], g, '/r')).toBe('a.ts → b.ts ⇢ a.ts');
  });
});

describe('buildGraph', () => {
  let dir;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('resolves `./x.js` to `x.ts` and `./dir/index.js` like tsc, and sees a type-only cycle', () => {
    dir = mkdtempSync(join(tmpdir(), 'midge-cycles-'));
    const src = join(dir, 'src');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
    writeFileSync(join(src, 'a.ts'), "import { b } from './b.js';\nexport const a = b;\n");
    writeFileSync(join(src, 'b.ts'), "import type { S } from './sub/index.js';\nexport const b: S = 1;\n");
    writeFileSync(join(src, 'sub', 'index.ts'), "import type { a } from '../a.js';\nexport type S = typeof a;\n");
    writeFileSync(join(src, 'leaf.ts'), "import { b } from './b.js';\nexport const leaf = b;\n");
    const g = buildGraph([src]);
    expect(g.size).toBe(4);
    const cycles = findCycles(g).map((c) => formatCycle(c, g, src));
    expect(cycles).toEqual(['a.ts → b.ts ⇢ sub/index.ts ⇢ a.ts']);
  });
});
