// Loads `.wgsl` files as strings (typed in src/types.d.ts) for Vite: Astro and Vitest share it.
// The bench bundle gets the same with esbuild's `text` loader.
export function wgsl() {
  return {
    name: 'speed-of-light:wgsl',
    transform(code, id) {
      if (!id.endsWith('.wgsl')) return null;
      return { code: `export default ${JSON.stringify(code)};`, map: null };
    },
  };
}
