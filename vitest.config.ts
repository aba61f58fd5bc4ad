import { defineConfig } from 'vitest/config';
import { wgsl } from './scripts/wgsl-plugin.mjs';

export default defineConfig({
  plugins: [wgsl()],
  test: {
    include: ['test/unit/**/*.test.ts', 'test/kernel/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Kernel tests share one software GPU; running their files one at a time keeps SwiftShader's threads from fighting.
    fileParallelism: false,
    // In CI (no terminal to redraw) each test is printed as it ends: a kernel file can run for a minute.
    reporters: process.env.CI ? ['verbose'] : ['default'],
  },
});
