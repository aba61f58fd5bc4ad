// Bundles the bench (bench/bench.ts) into one ESM file, build/bench.mjs, that runs with no node_modules:
// `.wgsl` files come in as strings, and Dawn is loaded at run time from $DAWN_NODE (or the `webgpu` package
// where there is one, which is why it stays external).
// Usage: node scripts/bundle-bench.mjs [outfile [entry]]   (default: build/bench.mjs from bench/bench.ts)
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Builds the bundle of `entry` at `outfile` (relative to the project root unless absolute); resolves to its path. */
export async function bundleBench(outfile = 'build/bench.mjs', entry = 'bench/bench.ts') {
  const webgpu = JSON.parse(readFileSync(new URL('../node_modules/webgpu/package.json', import.meta.url), 'utf8'));
  await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    loader: { '.wgsl': 'text' },
    external: ['webgpu'],
    define: { __WEBGPU_VERSION__: JSON.stringify(webgpu.version) },
    logLevel: 'warning',
  });
  return outfile;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outfile = await bundleBench(process.argv[2], process.argv[3]);
  console.log(`bundled ${outfile}`);
}
