// @ts-check
import { defineConfig } from 'astro/config';
import mdx from '@astrojs/mdx';
import sitemap from '@astrojs/sitemap';
import { unified } from '@astrojs/markdown-remark';
import remarkMath from 'remark-math';
import rehypeKatex from 'rehype-katex';
import { rehypeSearchMath } from './scripts/rehype-search-math.mjs';
import { wgsl } from './scripts/wgsl-plugin.mjs';

export default defineConfig({
  site: 'https://speed-of-light.example',
  trailingSlash: 'ignore',
  integrations: [mdx(), sitemap()],
  // A Content-Security-Policy in every page: scripts only from this origin, each inline one Astro bundles hashed,
  // and WebAssembly for the search (Pagefind). Styles from this origin and inline: KaTeX lays formulas out with style
  // attributes and Observable Plot writes a <style> into each plot as it draws. Nothing is fetched from elsewhere.
  security: {
    csp: {
      scriptDirective: { resources: ["'self'", "'wasm-unsafe-eval'"] },
      styleDirective: { resources: ["'self'", "'unsafe-inline'"] },
      directives: [
        "default-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
      ],
    },
  },
  markdown: {
    processor: unified({
      remarkPlugins: [remarkMath],
      rehypePlugins: [[rehypeKatex, { output: 'htmlAndMathml' }], rehypeSearchMath],
    }),
    shikiConfig: {
      themes: { light: 'github-light', dark: 'github-dark-default' },
    },
  },
  vite: {
    plugins: [wgsl()],
    // The labs run in a module worker (src/components/lab/lab-worker.ts), bundled with the kernels' WGSL too.
    worker: { format: 'es', plugins: () => [wgsl()] },
    build: {
      rolldownOptions: {
        // Astro's MDX modules begin with the directive "use astro:head-inject", which Rolldown warns it may not
        // keep when bundling: one warning per note, about 330 lines a build, none of them ours to fix. A known
        // Astro bug (withastro/astro#18087, open on 2026-11-28); only that exact warning is dropped.
        onwarn(warning, warn) {
          if (warning.code === 'MODULE_LEVEL_DIRECTIVE' && warning.message.includes('"use astro:head-inject"')) return;
          warn(warning);
        },
      },
    },
  },
});
