// Matrix-unit kernel wrapper (matrix.wgsl): pipelines cached per device, inputs, a dispatch encoded into
// a given pass, the cost model, and why a device cannot run it.
import { createBufferFrom, createEmptyBuffer } from '../gpu/buffers';
import { toHalfBits } from '../gpu/f16';
import { bindBuffers, cachedPerDevice, grid2d, oneDispatch } from '../gpu/pipelines';
import type { Random } from '../gpu/random';
import type { Prepared } from '../gpu/types';
import matrixSource from './matrix.wgsl';

/** The subgroup-matrix configuration the kernel uses: f16 tiles, f32 accumulators, M = N = K = 16. */
export const TILE = 16;
export const TILE_ELEMENTS = TILE * TILE;
/** Independent accumulator chains per subgroup (c0 … c7 in the WGSL). */
export const CHAINS_PER_SUBGROUP = 8;
/** Multiply-accumulates per chain per trip of the kernel's loop (unrolled by hand in the WGSL). */
export const STEPS_PER_TRIP = 4;
/** Invocations per workgroup: WebGPU's largest subgroup size, so a multiple of every device's largest subgroup. */
export const WORKGROUP_SIZE = 128;
/**
 * Most multiply-accumulates per chain for an exact output: every entry of A·B is at most 16 · (1/4)² = 1 and a
 * start at most 1, so every partial sum stays below 2^16, where f32 holds multiples of 2^-8 exactly.
 */
export const MAX_ITERATIONS = 2 ** 16 - STEPS_PER_TRIP;
/** The feature the kernel needs, besides `shader-f16`. */
export const SUBGROUP_MATRIX_FEATURE = 'chromium-experimental-subgroup-matrix';

export interface MatrixShape {
  /** Subgroups that each run CHAINS_PER_SUBGROUP chains. */
  subgroups: number;
  /** Multiply-accumulates of each chain, a positive multiple of STEPS_PER_TRIP, at most MAX_ITERATIONS. */
  iterations: number;
}

/** 2·M·N·K floating-point operations per 16×16×16 multiply-accumulate. */
export const flops = (shape: MatrixShape) => 2 * TILE * TILE * TILE * CHAINS_PER_SUBGROUP * shape.iterations * shape.subgroups;
/** Every chain's final 16×16 f32 tile is written; the input tiles are small and read from cache. */
export const bytes = (shape: MatrixShape) => 4 * TILE_ELEMENTS * CHAINS_PER_SUBGROUP * shape.subgroups;

export interface MatrixInputs {
  /** (tilePairs, 2, 16, 16) f16 bits, row-major: pair p holds A (M×K) then B (K×N). */
  tiles: Uint16Array;
  /** (startTiles, 16, 16) f32, row-major: the chains' starting accumulators. */
  starts: Float32Array;
}

/**
 * Random inputs that keep the output exact: A and B entries are k/16 for k in 1…4, starts k/16 for k in 1…16,
 * all exact in f16 and f32 (MAX_ITERATIONS says why the sums stay exact). No zeros, so no chain is trivial.
 */
export function matrixInputs(random: Random, tilePairs = 8, startTiles = 37): MatrixInputs {
  const sixteenths = (most: number) => (1 + Math.floor(random.next() * most)) / 16;
  const tiles = new Uint16Array(tilePairs * 2 * TILE_ELEMENTS);
  for (let i = 0; i < tiles.length; i++) tiles[i] = toHalfBits(sixteenths(4));
  const starts = new Float32Array(startTiles * TILE_ELEMENTS);
  for (let i = 0; i < starts.length; i++) starts[i] = sixteenths(16);
  return { tiles, starts };
}

/** Subset of the proposal's GPUSubgroupMatrixConfig (on GPUAdapterInfo.subgroupMatrixConfigs). */
export interface SubgroupMatrixConfig {
  componentType: string;
  resultComponentType: string;
  M: number;
  N: number;
  K: number;
}

/**
 * The configurations the adapter offers, or undefined where the device's adapter info does not list them: Dawn
 * (`webgpu` 0.6.2, H200, 2026-11-28) gives an empty list there although the feature is on and the adapter lists six.
 */
export function subgroupMatrixConfigsOf(device: GPUDevice): readonly SubgroupMatrixConfig[] | undefined {
  const info = device.adapterInfo as (GPUAdapterInfo & { subgroupMatrixConfigs?: readonly SubgroupMatrixConfig[] }) | undefined;
  const configs = info?.subgroupMatrixConfigs;
  return configs && configs.length > 0 ? configs : undefined;
}

/** `f16→f32 16×16×16, …`: subgroup-matrix configurations in words. */
export function formatMatrixConfigs(configs: readonly SubgroupMatrixConfig[]): string {
  return configs.map((config) => `${config.componentType}→${config.resultComponentType} ${config.M}×${config.N}×${config.K}`).join(', ');
}

/**
 * Why this device cannot run the matrix kernel, in plain words, or null when it can. `configs` (where the
 * adapter lists them) must include f16 inputs with f32 results at 16×16×16.
 */
export function matrixRefusal(features: ReadonlySet<string>, configs?: readonly SubgroupMatrixConfig[]): string | null {
  if (!features.has(SUBGROUP_MATRIX_FEATURE)) {
    return (
      `this device does not offer subgroup matrices (the '${SUBGROUP_MATRIX_FEATURE}' feature), so its matrix units ` +
      `cannot be reached from WebGPU; Chrome offers them behind its unsafe-WebGPU flag (chrome://flags/#enable-unsafe-webgpu), Dawn in Node behind its toggle allow_unsafe_apis`
    );
  }
  if (!features.has('shader-f16')) return "this device does not offer 16-bit floats in shaders (the 'shader-f16' feature)";
  const offered = configs?.some(
    (config) => config.componentType === 'f16' && config.resultComponentType === 'f32' && config.M === TILE && config.N === TILE && config.K === TILE,
  );
  if (configs && !offered) {
    return `this device's subgroup matrices do not include f16 tiles with f32 results at 16×16×16 (it offers: ${formatMatrixConfigs(configs) || 'none'})`;
  }
  return null;
}

/** The largest subgroup the device reports, or 128 (WebGPU's largest) where it does not say. */
export function subgroupMaxSizeOf(device: GPUDevice): number {
  return device.adapterInfo?.subgroupMaxSize ?? WORKGROUP_SIZE;
}

/** Subgroups that work in each workgroup: as many of the device's largest subgroups as fill it. */
export function subgroupsPerWorkgroup(subgroupMaxSize: number): number {
  if (!(subgroupMaxSize >= 1 && subgroupMaxSize <= WORKGROUP_SIZE && WORKGROUP_SIZE % subgroupMaxSize === 0)) {
    throw new Error(`matrix: the largest subgroup size must divide ${WORKGROUP_SIZE}, got ${subgroupMaxSize}`);
  }
  return WORKGROUP_SIZE / subgroupMaxSize;
}

/** The 2-D grid for `subgroups`. */
export function matrixGrid(subgroups: number, subgroupMaxSize: number): { x: number; y: number } {
  return grid2d(Math.ceil(subgroups / subgroupsPerWorkgroup(subgroupMaxSize)));
}

function matrixPipeline(device: GPUDevice, subgroups: number): GPUComputePipeline {
  const label = `matrix ${subgroups} subgroups per workgroup`;
  return cachedPerDevice(device, label, () =>
    device.createComputePipeline({
      label,
      layout: 'auto',
      compute: {
        module: device.createShaderModule({ label, code: matrixSource }),
        constants: { SUBGROUPS_PER_WORKGROUP: subgroups },
      },
    }),
  );
}

/** Why `shape` cannot run, in words, or null: steps a positive multiple of STEPS_PER_TRIP up to MAX_ITERATIONS, whole subgroups. */
export function matrixShapeProblem(shape: MatrixShape): string | null {
  const { subgroups, iterations } = shape;
  if (iterations % STEPS_PER_TRIP !== 0 || iterations <= 0 || iterations > MAX_ITERATIONS) {
    return `matrix: iterations must be a positive multiple of ${STEPS_PER_TRIP} up to ${MAX_ITERATIONS}, got ${iterations}`;
  }
  if (!(Number.isInteger(subgroups) && subgroups >= 1)) return `matrix: subgroups must be a positive integer, got ${subgroups}`;
  return null;
}

/** The uniform of a run on a device whose largest subgroup has `subgroupMaxSize` invocations: iterations, tilePairs, startTiles, subgroups, workgroupsPerRow, padding to 32 bytes. */
export function matrixParams(shape: MatrixShape, inputs: MatrixInputs, subgroupMaxSize: number): Uint32Array {
  const params = new Uint32Array(8);
  const grid = matrixGrid(shape.subgroups, subgroupMaxSize);
  params.set([shape.iterations, inputs.tiles.length / (2 * TILE_ELEMENTS), inputs.starts.length / TILE_ELEMENTS, shape.subgroups, grid.x]);
  return params;
}

/** The buffers of a run: matrixParams' uniform, the inputs' tiles and starts, and the output (subgroups, CHAINS_PER_SUBGROUP, 16, 16) f32. */
export interface MatrixBuffers {
  params: GPUBuffer;
  tiles: GPUBuffer;
  starts: GPUBuffer;
  output: GPUBuffer;
}

/** Binds `buffers` for a dispatch of the chains, workgroups sized for `subgroupMaxSize`; destroy() frees `owned` (what the caller made for it). */
export function bindMatrix(device: GPUDevice, shape: MatrixShape, buffers: MatrixBuffers, subgroupMaxSize: number, owned: GPUBuffer[] = []): Prepared<{ output: GPUBuffer }> {
  const problem = matrixShapeProblem(shape);
  if (problem) throw new Error(problem);
  const pipeline = matrixPipeline(device, subgroupsPerWorkgroup(subgroupMaxSize));
  const bindGroup = bindBuffers(device, pipeline, 'matrix', [buffers.params, buffers.tiles, buffers.starts, buffers.output]);
  return oneDispatch(pipeline, bindGroup, matrixGrid(shape.subgroups, subgroupMaxSize), { output: buffers.output }, owned);
}

/**
 * The kernel for `shape`, with workgroups sized for a device whose largest subgroup has `subgroupMaxSize` invocations.
 * output: (subgroups, CHAINS_PER_SUBGROUP, 16, 16) f32, each chain's final accumulator. It makes its buffers and
 * frees them on destroy().
 */
export function prepareMatrix(device: GPUDevice, shape: MatrixShape, inputs: MatrixInputs, subgroupMaxSize: number): Prepared<{ output: GPUBuffer }> {
  const problem = matrixShapeProblem(shape);
  if (problem) throw new Error(problem);
  const params = createBufferFrom(device, matrixParams(shape, inputs, subgroupMaxSize), GPUBufferUsage.UNIFORM, 'matrix params');
  const tiles = createBufferFrom(device, inputs.tiles, GPUBufferUsage.STORAGE, 'matrix tiles');
  const starts = createBufferFrom(device, inputs.starts, GPUBufferUsage.STORAGE, 'matrix starts');
  const output = createEmptyBuffer(device, bytes(shape), GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'matrix output');
  return bindMatrix(device, shape, { params, tiles, starts, output }, subgroupMaxSize, [params, tiles, starts, output]);
}
