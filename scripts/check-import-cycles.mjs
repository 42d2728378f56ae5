#!/usr/bin/env node
// Fails when any module in packages/*/src or apps/*/src is part of an import cycle.
//
// Type-only imports count: `import type` from a module that imports you back still ties the two together
// (the layering is wrong even if the emitted JavaScript drops the edge). Dynamic `import()` counts too.
//
// Why a script over the TypeScript compiler API rather than madge or dpdm: imports are read from the AST
// TypeScript itself parses, and resolved by `ts.resolveModuleName` with the repo's own compiler options
// (nodenext, `./x.js` → `./x.ts`, package `exports` with the `midge-source` condition), so a cross-package
// import lands on the other package's source, exactly as tsc sees it. madge/dpdm bring their own resolvers,
// which have a history of missing `.js` → `.ts` and `index.ts` resolution under nodenext.
//
// Usage: node scripts/check-import-cycles.mjs [root-dir ...]   (default: packages/*/src apps/*/src)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Directories whose TypeScript files form the graph. */
export function defaultRoots(root = repoRoot) {
  const roots = [];
  for (const group of ['packages', 'apps']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const src = join(dir, entry.name, 'src');
      if (entry.isDirectory() && existsSync(src)) roots.push(src);
    }
  }
  return roots;
}

function listSourceFiles(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'dist') listSourceFiles(path, out);
    } else if (/\.(?:[cm]?ts|tsx)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
      out.push(path);
    }
  }
  return out;
}

/**
 * Every module specifier `sourceText` depends on, with whether the dependency is type-only.
 * @param {string} fileName
 * @param {string} sourceText
 * @returns {{ specifier: string, typeOnly: boolean }[]}
 */
export function importsOf(fileName, sourceText) {
  const sf = ts.createSourceFile(fileName, sourceText, ts.ScriptTarget.Latest, true);
  /** @type {{ specifier: string, typeOnly: boolean }[]} */
  const found = [];
  const add = (node, typeOnly) => {
    if (node && ts.isStringLiteralLike(node)) found.push({ specifier: node.text, typeOnly });
  };
  const visit = (node) => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            clause.namedBindings !== undefined &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier, typeOnly);
    } else if (ts.isExportDeclaration(node)) {
      const typeOnly =
        node.isTypeOnly ||
        (node.exportClause !== undefined &&
          ts.isNamedExports(node.exportClause) &&
          node.exportClause.elements.length > 0 &&
          node.exportClause.elements.every((e) => e.isTypeOnly));
      add(node.moduleSpecifier, typeOnly);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isImportTypeNode(node)) {
      // `import('./x.js').T` in a type position.
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg)) add(arg.literal, true);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** The repo's compiler options, reading workspace packages through their `midge-source` export condition. */
function compilerOptions(root) {
  const configPath = join(root, 'tsconfig.base.json');
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, root, undefined, configPath);
  return { ...parsed.options, customConditions: ['midge-source'], noEmit: true };
}

/**
 * The import graph of every TypeScript file under `roots`: file → (imported file → type-only).
 * An edge is type-only when every import of that file is.
 * @returns {Map<string, Map<string, boolean>>}
 */
export function buildGraph(roots, root = repoRoot) {
  const options = compilerOptions(root);
  const host = ts.createCompilerHost(options);
  const cache = ts.createModuleResolutionCache(root, (f) => f, options);
  const files = roots.flatMap((r) => listSourceFiles(resolve(r)));
  const inGraph = new Set(files);
  /** @type {Map<string, Map<string, boolean>>} */
  const graph = new Map();
  for (const file of files) {
    const edges = new Map();
    graph.set(file, edges);
    const mode = ts.getImpliedNodeFormatForFile(file, cache.getPackageJsonInfoCache(), host, options);
    for (const { specifier, typeOnly } of importsOf(file, readFileSync(file, 'utf8'))) {
      const resolved = ts.resolveModuleName(specifier, file, options, host, cache, undefined, mode).resolvedModule;
      if (resolved === undefined) continue;
      const target = host.realpath ? host.realpath(resolved.resolvedFileName) : resolved.resolvedFileName;
      if (!inGraph.has(target)) continue;
      edges.set(target, (edges.get(target) ?? true) && typeOnly);
    }
  }
  return graph;
}

/**
 * Strongly connected components with more than one file, or a file importing itself (Tarjan).
 * @param {Map<string, Map<string, boolean>>} graph
 * @returns {string[][]}
 */
export function tangledComponents(graph) {
  let index = 0;
  const indices = new Map();
  const lowlinks = new Map();
  const stack = [];
  const onStack = new Set();
  const components = [];
  const strongConnect = (v) => {
    indices.set(v, index);
    lowlinks.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!indices.has(w)) {
        strongConnect(w);
        lowlinks.set(v, Math.min(lowlinks.get(v), lowlinks.get(w)));
      } else if (onStack.has(w)) {
        lowlinks.set(v, Math.min(lowlinks.get(v), indices.get(w)));
      }
    }
    if (lowlinks.get(v) === indices.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.has(v)) components.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!indices.has(v)) strongConnect(v);
  return components;
}

/**
 * Short cycles that together pass through every file of every tangled component: for each file, the
 * shortest cycle through it (breadth-first inside its component), without repeats. Listing every
 * elementary cycle would be exponential; these are the ones to read to untangle a component.
 * @param {Map<string, Map<string, boolean>>} graph
 * @returns {string[][]} each cycle as [a, b, ..., a]
 */
export function findCycles(graph) {
  const cycles = [];
  const seen = new Set();
  for (const component of tangledComponents(graph)) {
    const members = new Set(component);
    for (const start of component) {
      const previous = new Map([[start, null]]);
      const queue = [start];
      let closing;
      search: for (let i = 0; i < queue.length; i++) {
        const v = queue[i];
        for (const w of [...(graph.get(v)?.keys() ?? [])].sort()) {
          if (!members.has(w)) continue;
          if (w === start) {
            closing = v;
            break search;
          }
          if (!previous.has(w)) {
            previous.set(w, v);
            queue.push(w);
          }
        }
      }
      if (closing === undefined) continue;
      const path = [];
      for (let v = closing; v !== null; v = previous.get(v)) path.unshift(v);
      // One rotation per cycle: start it at its smallest file.
      const m = path.indexOf([...path].sort()[0]);
      const rotated = [...path.slice(m), ...path.slice(0, m)];
      const key = rotated.join('\0');
      if (seen.has(key)) continue;
      seen.add(key);
      cycles.push([...rotated, rotated[0]]);
    }
  }
  return cycles;
}

/** One cycle as `a.ts → b.ts ⇢ a.ts`, paths relative to `root`; `⇢` is an edge made only of type imports. */
export function formatCycle(cycle, graph, root = repoRoot) {
  let line = relative(root, cycle[0]);
  for (let i = 1; i < cycle.length; i++) {
    const typeOnly = graph.get(cycle[i - 1])?.get(cycle[i]) === true;
    line += `${typeOnly ? ' ⇢ ' : ' → '}${relative(root, cycle[i])}`;
  }
  return line;
}

function main(args) {
  const roots = args.length > 0 ? args.map((a) => resolve(a)) : defaultRoots();
  const graph = buildGraph(roots);
  const components = tangledComponents(graph);
  const cycles = findCycles(graph);
  if (cycles.length === 0) {
    console.log(`import cycles: none in ${graph.size} files`);
    return 0;
  }
  const tangled = components.reduce((n, c) => n + c.length, 0);
  console.log(`import cycles: ${tangled} of ${graph.size} files are in ${components.length} tangled group(s):`);
  for (const component of components) {
    console.log(`\n${component.length} files: ${component.map((f) => relative(repoRoot, f)).join(', ')}`);
    const members = new Set(component);
    for (const cycle of cycles.filter((c) => members.has(c[0]))) console.log(`  ${formatCycle(cycle, graph)}`);
  }
  console.log(`\n${cycles.length} import cycle(s) shown; → imports a value, ⇢ imports only types (still a cycle).`);
  return 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
