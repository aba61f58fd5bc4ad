// The matrix-unit family on the kernel interface (src/kernels/family.ts): 8 chains C = A·B + C of 16×16×16 f16
// multiply-accumulates (f32 sums) a subgroup, through subgroup matrices, the probe's f16 matrix rate. One version
// (matrix.wgsl), no knobs: its workgroup is WebGPU's largest subgroup and its tiles are the one size the kernel
// takes. Inputs are multiples of 1/16, so the output is exact; the check reads an even spread of subgroups.
import { spreadRows, type KernelFamily, type KernelVersion } from '../family';
import { checkBuffer, firstRefusal } from '../gpu/limits';
import {
  bindMatrix,
  bytes,
  CHAINS_PER_SUBGROUP,
  flops,
  MAX_ITERATIONS,
  matrixInputs,
  matrixParams,
  matrixRefusal,
  matrixShapeProblem,
  subgroupMaxSizeOf,
  TILE_ELEMENTS,
  type MatrixInputs,
  type MatrixShape,
} from './matrix';
import { matrixReference } from './matrix.reference';

/** Subgroups a check reads: all of a small grid, an even spread of a large one. */
const CHECKED_SUBGROUPS = 256;

export const matrixVersions = [{ name: 'matrix', label: 'subgroup matrices, f16', unit: 'f16-matrix', element: 'f16', knobs: {} }] as const satisfies readonly KernelVersion[];

export const matrix: KernelFamily<MatrixShape, MatrixInputs> = {
  id: 'matrix',
  versions: matrixVersions,
  // Subgroup counts that leave the last workgroup part empty, and one at the exact-output bound.
  examples: [
    { subgroups: 1, iterations: 4 },
    { subgroups: 37, iterations: 64 },
    { subgroups: 1001, iterations: 256 },
    { subgroups: 6, iterations: MAX_ITERATIONS },
  ],
  shapeOf: ({ subgroups, iterations = 4096 }) => {
    if (!subgroups) throw new Error('a matrix shape takes subgroups, and iterations (multiply-accumulates of each chain, a multiple of 4; default 4096)');
    return { subgroups, iterations };
  },
  inputs: (_shape, random) => matrixInputs(random),
  buffers(alloc, shape, inputs) {
    return {
      params: alloc.from(matrixParams(shape, inputs, subgroupMaxSizeOf(alloc.device)), GPUBufferUsage.UNIFORM, 'matrix params'),
      tiles: alloc.from(inputs.tiles, GPUBufferUsage.STORAGE, 'matrix tiles'),
      starts: alloc.from(inputs.starts, GPUBufferUsage.STORAGE, 'matrix starts'),
      output: alloc.empty(bytes(shape), GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'matrix output'),
    };
  },
  // output: (subgroups, CHAINS_PER_SUBGROUP, 16, 16) f32: a row a subgroup.
  rows: (shape) => ({ count: shape.subgroups, length: CHAINS_PER_SUBGROUP * TILE_ELEMENTS, checked: spreadRows(shape.subgroups, CHECKED_SUBGROUPS) }),
  reference: (inputs, shape, rows) => matrixReference(inputs, shape, rows),
  // Exact by construction: any difference is a wrong tile or a lost step.
  tolerance: () => ({ tolerance: 0 }),
  cost: (shape) => ({ flops: flops(shape), bytes: bytes(shape), dispatches: 1 }),
  refusal: (device, shape) =>
    firstRefusal(matrixRefusal(device.features, device.subgroupMatrixConfigs), matrixShapeProblem(shape), checkBuffer(device.limits, bytes(shape), 'the matrix chains’ output')),
  prepare(device, shape, buffers) {
    const output = buffers['output']!;
    const kernel = bindMatrix(device, shape, { params: buffers['params']!, tiles: buffers['tiles']!, starts: buffers['starts']!, output }, subgroupMaxSizeOf(device));
    return { ...kernel, output: { buffer: output, element: 'f32' } };
  },
};
