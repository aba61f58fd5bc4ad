// FMA-chain kernel wrapper (fma.wgsl): pipelines cached per device, inputs, a dispatch
// encoded into a given pass, and the cost model.
import { createBufferFrom, createEmptyBuffer } from '../gpu/buffers';
import { toHalfBits, fromHalfBits } from '../gpu/f16';
import { bindBuffers, cachedPerDevice, grid2d, oneDispatch } from '../gpu/pipelines';
import type { Random } from '../gpu/random';
import type { Prepared } from '../gpu/types';
import fmaSource from './fma.wgsl';

export type FmaPrecision = 'f32' | 'f16';
export const CHAINS_PER_THREAD = 16;
/** Chain steps per trip of the kernel's loop (unrolled by hand in the WGSL). */
export const STEPS_PER_TRIP = 64;
export const DEFAULT_WORKGROUP_SIZE = 256;

export interface FmaShape {
  threads: number;
  /** Steps of each chain, a multiple of STEPS_PER_TRIP. */
  iterations: number;
}

/** Two floating-point operations per FMA. */
export const flops = (shape: FmaShape) => 2 * CHAINS_PER_THREAD * shape.threads * shape.iterations;
/** One output per thread is written; the seeds are small and read from cache. */
export const bytes = (shape: FmaShape) => 4 * shape.threads;

export interface FmaInputs {
  /** Multipliers of the four components, 0 < a < 1. */
  a: [number, number, number, number];
  b: [number, number, number, number];
  /** (seedWords, 4) starting values. */
  seeds: Float32Array;
}

/**
 * Random inputs that keep every chain bounded and positive. For f32, a is close to 1 so after a few hundred steps
 * the output still depends on the seed; f16 rounds too coarsely for that, so its a is smaller.
 * For f16 every value is exactly representable, so the GPU's conversion is exact.
 */
export function fmaInputs(random: Random, precision: FmaPrecision, seedWords = 1024): FmaInputs {
  const exact = precision === 'f16' ? (value: number) => fromHalfBits(toHalfBits(value)) : Math.fround;
  const draw = (low: number, high: number) => exact(random.uniform(low, high));
  const [aLow, aHigh] = precision === 'f16' ? [0.5, 0.9] : [0.999, 0.9995];
  const seeds = new Float32Array(seedWords * 4);
  // Positive seeds: a thread's 16 chains do not cancel when summed, so the relative error stays meaningful.
  for (let i = 0; i < seeds.length; i++) seeds[i] = draw(0.5, 2);
  return {
    a: [draw(aLow, aHigh), draw(aLow, aHigh), draw(aLow, aHigh), draw(aLow, aHigh)],
    b: [draw(0, 0.01), draw(0, 0.01), draw(0, 0.01), draw(0, 0.01)],
    seeds,
  };
}

function fmaPipeline(device: GPUDevice, precision: FmaPrecision, workgroupSize: number): GPUComputePipeline {
  const label = `fma ${precision}/${workgroupSize}`;
  return cachedPerDevice(device, label, () =>
    device.createComputePipeline({
      label,
      layout: 'auto',
      compute: {
        module: device.createShaderModule({ label, code: (precision === 'f16' ? 'enable f16;\nalias V = vec4h;\n' : 'alias V = vec4f;\n') + fmaSource }),
        constants: { WORKGROUP_SIZE: workgroupSize },
      },
    }),
  );
}

/** The 2-D grid for `threads`. */
export function fmaGrid(threads: number, workgroupSize: number): { x: number; y: number } {
  return grid2d(Math.ceil(threads / workgroupSize));
}

/** Why `shape` cannot run, in words, or null: its steps must be a positive multiple of STEPS_PER_TRIP. */
export function fmaShapeProblem(shape: FmaShape): string | null {
  return shape.iterations % STEPS_PER_TRIP !== 0 || shape.iterations <= 0 ? `fma: iterations must be a positive multiple of ${STEPS_PER_TRIP}, got ${shape.iterations}` : null;
}

/** The uniform of a run with `workgroupSize` threads a workgroup: a, b (vec4f each), iterations, seedWords, threadsPerRow, padding to 48 bytes. */
export function fmaParams(shape: FmaShape, inputs: FmaInputs, workgroupSize = DEFAULT_WORKGROUP_SIZE): Uint8Array {
  const params = new ArrayBuffer(48);
  new Float32Array(params, 0, 8).set([...inputs.a, ...inputs.b]);
  new Uint32Array(params, 32, 3).set([shape.iterations, inputs.seeds.length / 4, fmaGrid(shape.threads, workgroupSize).x * workgroupSize]);
  return new Uint8Array(params);
}

/** The buffers of a run: fmaParams' uniform, the inputs' seeds (seedWords, 4) f32, and the output (threads) f32. */
export interface FmaBuffers {
  params: GPUBuffer;
  seeds: GPUBuffer;
  output: GPUBuffer;
}

/** Binds `buffers` for a dispatch of the chains; destroy() frees `owned` (what the caller made for it). */
export function bindFma(
  device: GPUDevice,
  shape: FmaShape,
  buffers: FmaBuffers,
  precision: FmaPrecision,
  workgroupSize = DEFAULT_WORKGROUP_SIZE,
  owned: GPUBuffer[] = [],
): Prepared<{ output: GPUBuffer }> {
  const problem = fmaShapeProblem(shape);
  if (problem) throw new Error(problem);
  const pipeline = fmaPipeline(device, precision, workgroupSize);
  const bindGroup = bindBuffers(device, pipeline, `fma ${precision}`, [buffers.params, buffers.seeds, buffers.output]);
  return oneDispatch(pipeline, bindGroup, fmaGrid(shape.threads, workgroupSize), { output: buffers.output }, owned);
}

/** output: (threads) f32, each thread's sum of its chains; the kernel makes its buffers and frees them on destroy(). */
export function prepareFma(
  device: GPUDevice,
  shape: FmaShape,
  inputs: FmaInputs,
  precision: FmaPrecision,
  workgroupSize = DEFAULT_WORKGROUP_SIZE,
): Prepared<{ output: GPUBuffer }> {
  const problem = fmaShapeProblem(shape);
  if (problem) throw new Error(problem);
  const params = createBufferFrom(device, fmaParams(shape, inputs, workgroupSize), GPUBufferUsage.UNIFORM, `fma ${precision} params`);
  const seeds = createBufferFrom(device, inputs.seeds, GPUBufferUsage.STORAGE, `fma ${precision} seeds`);
  const output = createEmptyBuffer(device, 4 * shape.threads, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, `fma ${precision} output`);
  return bindFma(device, shape, { params, seeds, output }, precision, workgroupSize, [params, seeds, output]);
}
