// Layers point one way (DESIGN.md): schemas ← kernels/gpu ← kernels/<op> ← models ← labs ← components ← pages,
// and bench beside pages; the models (op graphs, the bound) sit below the labs, so a lab times the ops a model's page
// draws. A file imports only from its own layer or the layers before it, the bench (Node) never from the components
// (the browser's), and no two modules import each other, however indirectly.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Layers in order; a file belongs to the first whose prefix its path starts with. */
const LAYERS: [prefix: string, rank: number][] = [
  ['src/schemas/', 0],
  ['src/data/', 0],
  ['src/kernels/gpu/', 1],
  ['src/kernels/', 2],
  ['src/models/', 3],
  ['src/labs/', 4],
  ['src/lib/', 4],
  ['src/components/', 5],
  ['src/pages/', 6],
  ['src/content.config.ts', 6],
  ['bench/', 6],
];
/** Imports a layer may not make even from a layer before it: the bench runs in Node, components in the browser. */
const FORBIDDEN: [from: string, to: string][] = [['bench/', 'src/components/']];

const rankOf = (path: string) => LAYERS.find(([prefix]) => path.startsWith(prefix))?.[1];

/** Relative imports of a source file (static, dynamic, and those of an .astro file's scripts), as repository paths. */
export function importsOf(path: string, text: string): string[] {
  const found = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
  const modules = found.map((spec) => normalize(join(dirname(path), spec)).replace(/\.(ts|mjs|js)$/, ''));
  // A folder imports its index.
  return modules.map((module) => (existsSync(`${module}/index.ts`) ? `${module}/index` : module));
}

/** Every arrow that points the wrong way, as `from -> to`. */
export function layerViolations(graph: Map<string, string[]>): string[] {
  const bad: string[] = [];
  for (const [from, targets] of graph) {
    const fromRank = rankOf(from);
    for (const to of targets) {
      const toRank = rankOf(to);
      if (fromRank === undefined || toRank === undefined) continue;
      const forbidden = FORBIDDEN.some(([a, b]) => from.startsWith(a) && to.startsWith(b));
      if (toRank > fromRank || forbidden) bad.push(`${from} -> ${to}`);
    }
  }
  return bad;
}

/** One cycle of imports, as the modules on it, or null. */
export function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    if (state.get(node) === 'done') return null;
    if (state.get(node) === 'open') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return null;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|mjs|astro)$/.test(name) && !name.endsWith('.d.ts') ? [relative('.', path)] : [];
  });
}

/** The project's import graph: module (path without .ts/.mjs) to the modules it imports. */
function projectGraph(): Map<string, string[]> {
  const files = [...sources('src'), ...sources('bench')];
  return new Map(files.map((file) => [file.replace(/\.(ts|mjs)$/, ''), importsOf(file, readFileSync(file, 'utf8'))]));
}

describe('the layering rule', () => {
  it('finds an arrow that points back, a forbidden one, and a cycle (the rule can fail)', () => {
    const graph = new Map([
      ['src/kernels/gpu/timing', ['src/labs/types']],
      ['bench/table', ['src/components/lab/format']],
      ['src/kernels/decode/a', ['src/kernels/decode/b']],
      ['src/kernels/decode/b', ['src/kernels/decode/a']],
    ]);
    expect(layerViolations(graph)).toEqual(['src/kernels/gpu/timing -> src/labs/types', 'bench/table -> src/components/lab/format']);
    expect(findCycle(graph)).toEqual(['src/kernels/decode/a', 'src/kernels/decode/b', 'src/kernels/decode/a']);
    expect(importsOf('src/components/X.astro', "<script>\n  import { f } from '../labs/format';\n</script>")).toEqual(['src/labs/format']);
  });

  it('holds for every module of the site and the bench', () => {
    const graph = projectGraph();
    expect(graph.size).toBeGreaterThan(50);
    expect(layerViolations(graph)).toEqual([]);
    expect(findCycle(graph)).toBeNull();
  });
});
