// Bundles the bench (bench/bench.ts) into one ESM file, build/bench.mjs, that runs with no node_modules:
// `.wgsl` files come in as strings, and Dawn is loaded at run time from $DAWN_NODE (or the `webgpu` package
// where there is one, which is why it stays external).
// Vite's `import.meta.glob('./dir/*.json', { eager: true })` (the model catalogue) becomes an object of static imports.
// Usage: node scripts/bundle-bench.mjs [outfile [entry]]   (default: build/bench.mjs from bench/bench.ts)
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Vite's eager glob of one folder's files by extension, as esbuild cannot: `{ './dir/a.json': { default: … } }`. */
const eagerGlob = {
  name: 'speed-of-light:eager-glob',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta.glob')) return null;
      const imports = [];
      const contents = source.replace(/import\.meta\.glob(?:<[^>]*>)?\(\s*'(\.\/[\w-]+)\/\*(\.\w+)'\s*,\s*\{\s*eager:\s*true\s*\}\s*\)/g, (_, folder, extension) => {
        const files = readdirSync(join(dirname(args.path), folder)).filter((file) => file.endsWith(extension)).sort();
        const entries = files.map((file) => {
          const name = `__glob${imports.length}`;
          imports.push(`import ${name} from '${folder}/${file}';`);
          return `'${folder}/${file}': { default: ${name} }`;
        });
        return `{ ${entries.join(', ')} }`;
      });
      return { contents: `${imports.join('\n')}\n${contents}`, loader: 'ts' };
    });
  },
};

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
    plugins: [eagerGlob],
    logLevel: 'warning',
  });
  return outfile;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outfile = await bundleBench(process.argv[2], process.argv[3]);
  console.log(`bundled ${outfile}`);
}
