// The feed kernel's wrapper (feed.wgsl): its sizes, inputs, cost model, pipelines cached per device, and why a
// device cannot run it.
import { toHalfBits } from '../gpu/f16';
import { checkBuffer, checkWorkgroupSize, checkWorkgroups, firstRefusal } from '../gpu/limits';
import { bindBuffers, cachedPerDevice, grid2d, oneDispatch } from '../gpu/pipelines';
import type { Random } from '../gpu/random';
import type { Prepared } from '../gpu/types';
import type { FamilyDevice } from '../family';
import { matrixRefusal, TILE, WORKGROUP_SIZE } from '../matrix/matrix';
import feedSource from './feed.wgsl';

/** Subgroups that work in each workgroup, 2 × 2 (SUBGROUPS in the WGSL). */
export const SUBGROUPS = 4;
/** Result tiles of 16×16 each subgroup owns, 4 × 4. */
export const TILES_PER_SUBGROUP = 16;
/** The block one workgroup multiplies, as feed.wgsl's constants: BM × BK of A, BK × BN of B, BM × BN of output. */
export const BLOCK = { m: 128, n: 128, k: 32 } as const;
/** Halves of padding after each row of a block in workgroup memory, against bank conflicts. */
const PAD = 8;
/** Depth offsets a step cycles through: step s loads its tiles at depth (s mod DEPTHS) · 16. */
export const DEPTHS = BLOCK.k / TILE;
/**
 * Bytes of workgroup memory: A's block (128 × 40 halves) and B's (32 × 136), each a whole number of 16 bytes,
 * as NVIDIA's Vulkan driver needs (feed.wgsl).
 */
export const WORKGROUP_BYTES = 2 * (BLOCK.m * (BLOCK.k + PAD) + BLOCK.k * (BLOCK.n + PAD));
/** (A, B) block pairs in the inputs: workgroup w fills pair w mod BLOCK_PAIRS, so neighbours differ. */
export const BLOCK_PAIRS = 7;
/**
 * Most steps for an exact output: each step adds at most 16 · (1/4)² = 1 to every sum, so every partial sum stays
 * below 2^16, where f32 holds multiples of 2^-8 exactly.
 */
export const MAX_ITERATIONS = 2 ** 16 - 1;

export interface FeedShape {
  /** Workgroups, each a 128×128 block of output: 4 subgroups of 4×4 tiles. */
  workgroups: number;
  /** Steps of each subgroup: 4 left and 4 right tiles loaded from workgroup memory, 16 multiply-accumulates. */
  iterations: number;
}

/** 2·16³ floating-point operations per multiply-accumulate, 16 a subgroup a step. */
export const flops = (shape: FeedShape) => 2 * TILE ** 3 * TILES_PER_SUBGROUP * SUBGROUPS * shape.iterations * shape.workgroups;
/** Every workgroup's 128×128 f32 block is written; the input blocks are small and read from cache. */
export const bytes = (shape: FeedShape) => 4 * BLOCK.m * BLOCK.n * shape.workgroups;

export interface FeedInputs {
  /** (BLOCK_PAIRS, BM, BK) f16 bits, row-major. */
  a: Uint16Array;
  /** (BLOCK_PAIRS, BK, BN) f16 bits, row-major. */
  b: Uint16Array;
}

/** Random blocks that keep the output exact: entries k/16 for k in 1…4, exact in f16 (MAX_ITERATIONS says why the sums stay exact). */
export function feedInputs(random: Random, pairs = BLOCK_PAIRS): FeedInputs {
  const sixteenths = (length: number) => Uint16Array.from({ length }, () => toHalfBits((1 + Math.floor(random.next() * 4)) / 16));
  return { a: sixteenths(pairs * BLOCK.m * BLOCK.k), b: sixteenths(pairs * BLOCK.k * BLOCK.n) };
}

/** Invocations per workgroup: SUBGROUPS of the device's largest subgroups (Dawn wants a subgroup-matrix workgroup a multiple of it). */
export function threadsOf(subgroupMaxSize: number): number {
  return SUBGROUPS * subgroupMaxSize;
}

/** Why `shape` cannot run, in words, or null: a positive number of steps up to MAX_ITERATIONS, whole workgroups. */
export function feedShapeProblem({ workgroups, iterations }: FeedShape): string | null {
  if (!(Number.isInteger(iterations) && iterations >= 1 && iterations <= MAX_ITERATIONS)) {
    return `the fed matrix units: steps must be a whole number from 1 to ${MAX_ITERATIONS}, got ${iterations}`;
  }
  if (!(Number.isInteger(workgroups) && workgroups >= 1)) return `the fed matrix units: workgroups must be a positive integer, got ${workgroups}`;
  return null;
}

/** Why this device cannot run the kernel at `shape`, in the reader's words, or null. */
export function feedRefusal(device: FamilyDevice, shape: FeedShape): string | null {
  const grid = grid2d(shape.workgroups);
  return firstRefusal(
    matrixRefusal(device.features, device.subgroupMatrixConfigs),
    feedShapeProblem(shape),
    checkWorkgroupSize(device.limits, threadsOf(device.subgroupMaxSize ?? WORKGROUP_SIZE), WORKGROUP_BYTES, 'the workgroup that feeds the matrix units from workgroup memory'),
    checkWorkgroups(device.limits, Math.max(grid.x, grid.y), 'the fed matrix units’ grid'),
    checkBuffer(device.limits, bytes(shape), 'the fed matrix units’ output'),
  );
}

/** The uniform of a run: iterations, blockPairs, workgroups, workgroupsPerRow, depths (and padding to 32 bytes). */
export function feedParams(shape: FeedShape, inputs: FeedInputs): Uint32Array {
  return Uint32Array.from([shape.iterations, inputs.a.length / (BLOCK.m * BLOCK.k), shape.workgroups, grid2d(shape.workgroups).x, DEPTHS, 0, 0, 0]);
}

function feedPipeline(device: GPUDevice, threads: number): GPUComputePipeline {
  const label = `feed ${threads} invocations per workgroup`;
  return cachedPerDevice(device, label, () =>
    device.createComputePipeline({
      label,
      layout: 'auto',
      compute: { module: device.createShaderModule({ label, code: feedSource }), constants: { THREADS: threads } },
    }),
  );
}

/** The buffers of a run: feedParams' uniform, the blocks of A and B, and the output (workgroups, BM, BN) f32. */
export interface FeedBuffers {
  params: GPUBuffer;
  a: GPUBuffer;
  b: GPUBuffer;
  output: GPUBuffer;
}

/** Binds `buffers` for one dispatch of `shape`, workgroups sized for a device whose largest subgroup has `subgroupMaxSize` invocations. */
export function bindFeed(device: GPUDevice, shape: FeedShape, buffers: FeedBuffers, subgroupMaxSize: number): Prepared<{ output: GPUBuffer }> {
  const problem = feedShapeProblem(shape);
  if (problem) throw new Error(problem);
  const pipeline = feedPipeline(device, threadsOf(subgroupMaxSize));
  const bindGroup = bindBuffers(device, pipeline, 'feed', [buffers.params, buffers.a, buffers.b, buffers.output]);
  return oneDispatch(pipeline, bindGroup, grid2d(shape.workgroups), { output: buffers.output });
}
