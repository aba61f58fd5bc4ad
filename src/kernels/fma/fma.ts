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

/** output: (threads) f32, each thread's sum of its chains. */
export function prepareFma(
  device: GPUDevice,
  shape: FmaShape,
  inputs: FmaInputs,
  precision: FmaPrecision,
  workgroupSize = 256,
): Prepared<{ output: GPUBuffer }> {
  if (shape.iterations % STEPS_PER_TRIP !== 0 || shape.iterations <= 0) {
    throw new Error(`fma: iterations must be a positive multiple of ${STEPS_PER_TRIP}, got ${shape.iterations}`);
  }
  const grid = fmaGrid(shape.threads, workgroupSize);
  const pipeline = fmaPipeline(device, precision, workgroupSize);
  // Params: a (vec4f), b (vec4f), iterations, seedWords, threadsPerRow, padding to 48 bytes.
  const params = new ArrayBuffer(48);
  new Float32Array(params, 0, 8).set([...inputs.a, ...inputs.b]);
  new Uint32Array(params, 32, 3).set([shape.iterations, inputs.seeds.length / 4, grid.x * workgroupSize]);
  const uniform = createBufferFrom(device, new Uint8Array(params), GPUBufferUsage.UNIFORM, `fma ${precision} params`);
  const seeds = createBufferFrom(device, inputs.seeds, GPUBufferUsage.STORAGE, `fma ${precision} seeds`);
  const output = createEmptyBuffer(device, 4 * shape.threads, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, `fma ${precision} output`);
  const bindGroup = bindBuffers(device, pipeline, `fma ${precision}`, [uniform, seeds, output]);
  return oneDispatch(pipeline, bindGroup, grid, { output }, [uniform, seeds, output]);
}
