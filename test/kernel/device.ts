// A Dawn device on whatever adapter Node finds (SwiftShader in CI), for kernel tests, obtained the way
// the bench obtains one (src/kernels/gpu/node.ts). Each test runs inside validation and out-of-memory
// error scopes (withScopes) and fails if it pops an error.
import { requestNodeGpu } from '../../src/kernels/gpu/node';
import { withErrorScopes } from '../../src/kernels/gpu/errors';
import type { GpuContext } from '../../src/kernels/gpu/types';

let cached: Promise<GpuContext | null> | undefined;

/** The shared test GPU context, or null (with the reason logged) when there is no adapter. */
export function testGpu(): Promise<GpuContext | null> {
  cached ??= (async () => {
    try {
      return await requestNodeGpu({ label: 'kernel tests' });
    } catch (error) {
      console.warn(`kernel tests skipped (install chromium and libvulkan1 for SwiftShader): ${(error as Error).message}`);
      return null;
    }
  })();
  return cached;
}

/** The shared test device, or null when there is no adapter. */
export async function testDevice(): Promise<GPUDevice | null> {
  return (await testGpu())?.device ?? null;
}

/** Runs fn inside validation and out-of-memory error scopes; throws on the first error popped. */
export function withScopes<T>(device: GPUDevice, fn: () => Promise<T>): Promise<T> {
  return withErrorScopes(device, fn);
}

/**
 * Dawn's null backend: it runs nothing, but validates every shader as a real device would and offers subgroup
 * matrices, so the tensor-core kernels' WGSL is checked where no GPU has them (CI, SwiftShader). Null if absent.
 */
export async function compileOnlyGpu(): Promise<GpuContext | null> {
  try {
    return await requestNodeGpu({ label: 'compile checks', flags: ['backend=null'] });
  } catch (error) {
    console.warn(`compile checks skipped: ${(error as Error).message}`);
    return null;
  }
}

/** A lab's context on the test device, with stand-in ceilings: the lab tests check records' form, not their bounds. */
export function labContext(gpu: GpuContext) {
  return {
    gpu,
    ceilings: { copyGBps: 1, fp32Gflops: 1 },
    timing: { warmup: 1, reps: 2 },
    signal: new AbortController().signal,
    progress: () => {},
  };
}
