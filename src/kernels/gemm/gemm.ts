// GEMM kernel wrapper (gemm.wgsl): C = A·B in f32, its versions, pipelines cached per device, the cost model.
import { createBufferFrom } from '../gpu/buffers';
import { checkBuffer, checkWorkgroups, firstRefusal } from '../gpu/limits';
import { bindBuffers, cachedPerDevice, oneDispatch } from '../gpu/pipelines';
import type { Prepared } from '../gpu/types';
import gemmSource from './gemm.wgsl';

/** C (m, n) = A (m, k) · B (k, n), all f32 row-major. */
export interface GemmShape {
  m: number;
  n: number;
  k: number;
}

export type GemmVersion = 'naive' | 'tiled';

/** Version 2's tiles: a 64×64 block of C a workgroup, K 16 at a time, 4×4 outputs a thread (16×16 threads). */
export const TILE = { m: 64, n: 64, k: 16, threadM: 4, threadN: 4 } as const;
/** Version 1's workgroup: 16×16 outputs. */
const NAIVE_TILE = 16;

/** Two FLOPs (a multiply and an add) per term of every output. */
export const flops = ({ m, n, k }: GemmShape) => 2 * m * n * k;
/** The fewest bytes: A and B read once, C written once. */
export const bytes = ({ m, n, k }: GemmShape) => 4 * (m * k + k * n + m * n);

/** The workgroups along (n, m). */
export function gemmGrid(shape: GemmShape, version: GemmVersion): { x: number; y: number } {
  const [tm, tn] = version === 'naive' ? [NAIVE_TILE, NAIVE_TILE] : [TILE.m, TILE.n];
  return { x: Math.ceil(shape.n / tn), y: Math.ceil(shape.m / tm) };
}

/** A refusal naming the limit when this device cannot hold or dispatch the shape, else null. */
export function gemmRefusal(limits: Readonly<Record<string, number>>, shape: GemmShape, version: GemmVersion): string | null {
  const grid = gemmGrid(shape, version);
  return firstRefusal(
    checkBuffer(limits, 4 * shape.m * shape.k, `A (${shape.m}×${shape.k})`),
    checkBuffer(limits, 4 * shape.k * shape.n, `B (${shape.k}×${shape.n})`),
    checkBuffer(limits, 4 * shape.m * shape.n, `C (${shape.m}×${shape.n})`),
    checkWorkgroups(limits, Math.max(grid.x, grid.y), 'the GEMM grid'),
  );
}

function gemmPipeline(device: GPUDevice, version: GemmVersion): GPUComputePipeline {
  const label = `gemm ${version}`;
  const constants = `const TILE_M = ${TILE.m}u;\nconst TILE_N = ${TILE.n}u;\nconst TILE_K = ${TILE.k}u;\nconst THREAD_M = ${TILE.threadM}u;\nconst THREAD_N = ${TILE.threadN}u;\n`;
  return cachedPerDevice(device, label, () =>
    device.createComputePipeline({
      label,
      layout: 'auto',
      compute: { module: device.createShaderModule({ label, code: constants + gemmSource }), entryPoint: version },
    }),
  );
}

/**
 * C = A·B for `shape` with `version`, on buffers it is given: a (m, k), b (k, n), c (m, n), f32 row-major, each
 * with STORAGE usage. It makes (and destroy() frees) only its shape uniform.
 */
export function prepareGemm(
  device: GPUDevice,
  version: GemmVersion,
  shape: GemmShape,
  buffers: { a: GPUBuffer; b: GPUBuffer; c: GPUBuffer },
): Prepared<{ c: GPUBuffer }> {
  const uniform = createBufferFrom(device, new Uint32Array([shape.m, shape.n, shape.k, 0]), GPUBufferUsage.UNIFORM, `gemm ${version} shape`);
  const pipeline = gemmPipeline(device, version);
  const bindGroup = bindBuffers(device, pipeline, `gemm ${version}`, [uniform, buffers.a, buffers.b, buffers.c]);
  return oneDispatch(pipeline, bindGroup, gemmGrid(shape, version), { c: buffers.c }, [uniform]);
}
