// The GEMM family on the kernel interface (src/kernels/family.ts): C = op(A)·op(B) [+ scale·A2·B2]. Versions, in
// the order of the headers: 1 naive (one output a thread, f32), 2 tiled (128×128 blocks through workgroup memory,
// f32 on the FMA units; knob: the depth of K a step), 3 matrix (f16 on the subgroup matrices, f32 sums; knobs:
// K a step, subgroups down and across, 16×16 tiles a subgroup down and across, and whether blocks are copied with
// matrix loads where they can be or always staged by threads). Measured numbers stay in the
// WGSL headers.
import type { KernelFamily, KernelVersion, Knobs } from '../family';
import { roundedToHalf, toHalfArray } from '../gpu/f16';
import { fillHashed, isHashed, type HashedInput } from '../gpu/hashed';
import type { Random } from '../gpu/random';
import { bytes, elementBytes, flops, gemmRefusal, prepareGemm, TILES, type GemmShape, type GemmTiles, type GemmVersion } from './gemm';
import { gemmReference } from './gemm.reference';

export type { GemmShape } from './gemm';

/**
 * Operands as the version stores them (f16 already rounded): a, b, and a2, b2 with a second product; a and b as the
 * seeds of a fill on the GPU where the shape says `hashed`.
 */
export interface GemmOperands {
  a: Float32Array | HashedInput;
  b: Float32Array | HashedInput;
  a2?: Float32Array;
  b2?: Float32Array;
}

const { matrix } = TILES;

export const gemmVersions = [
  { name: 'naive', label: 'naive, f32', unit: 'fp32', element: 'f32', knobs: {} },
  { name: 'tiled', label: 'tiled, f32', unit: 'fp32', element: 'f32', knobs: { bk: [TILES.tiled.bk, 16] } },
  {
    name: 'matrix',
    label: 'subgroup matrices, f16',
    unit: 'f16-matrix',
    element: 'f16',
    knobs: { bk: [matrix.bk, 16, 64], sgM: [matrix.sgM, 1, 4], sgN: [matrix.sgN, 1, 4], fragM: [matrix.fragM, 2, 1], fragN: [matrix.fragN, 2, 1], copy: [1, 0] },
  },
] as const satisfies readonly KernelVersion[];

/** The blocks `knobs` ask for, over the version's defaults. */
export function tilesFrom(knobs: Knobs): GemmTiles {
  return { ...matrix, bk: TILES.tiled.bk, ...knobs };
}

const round = (version: KernelVersion) => (values: Float32Array) =>
  version.element === 'f16' ? roundedToHalf(values) : values;

/** Error relative to the largest value of the rows checked: f32 sums in another order, and f16 results rounded once. */
const TOLERANCE = { f32: 1e-4, f16: 2e-3 };

export const gemm: KernelFamily<GemmShape, GemmOperands> = {
  id: 'gemm',
  versions: gemmVersions,
  examples: [
    { m: 33, n: 17, k: 65 },
    { m: 130, n: 70, k: 200, transA: true },
    { m: 136, n: 260, k: 72 },
    { m: 3, n: 300, k: 100 },
    // Operands filled on the GPU (as a model's weights are): odd sizes, so f16's last word holds one value past B.
    { m: 37, n: 45, k: 71, hashed: true },
  ],
  shapeOf: ({ m, n, k, batch = 1 }) => {
    if (!m) throw new Error('a GEMM shape takes m, and n, k and batch (n and k default to m)');
    return { m, n: n ?? m, k: k ?? m, batch };
  },
  inputs(shape, random: Random, version) {
    const { m, n, k, batch = 1 } = shape;
    const k2 = shape.second?.k ?? 0;
    if (shape.hashed) {
      if (k2 > 0) throw new Error('gemm: hashed operands take no second product');
      const seed = () => Math.floor(random.next() * 2 ** 30);
      return { a: { seed: seed() }, b: { seed: seed() } };
    }
    const gaussian = (length: number) => round(version)(random.fill(new Float32Array(length), { kind: 'gaussian', mean: 0, std: 1 }));
    return { a: gaussian(batch * m * k), b: gaussian(batch * k * n), ...(k2 > 0 && { a2: gaussian(batch * m * k2), b2: gaussian(batch * k2 * n) }) };
  },
  buffers(alloc, shape, operands, version) {
    const stored = (values: Float32Array) => (version.element === 'f16' ? toHalfArray(values) : values);
    const { m, n, k, batch = 1 } = shape;
    const elements = { a: batch * m * k, b: batch * k * n };
    const upload = (name: keyof GemmOperands) => {
      const operand = operands[name]!;
      if (!isHashed(operand)) return alloc.from(stored(operand), GPUBufferUsage.STORAGE, name.toUpperCase());
      // An even count of halves fills whole words; the one past the operand is never read.
      const count = 2 * Math.ceil(elements[name as 'a' | 'b'] / 2);
      const buffer = alloc.empty(count * elementBytes(version.element), GPUBufferUsage.STORAGE, name.toUpperCase());
      fillHashed(alloc.device, buffer, count, version.element, operand.seed);
      return buffer;
    };
    const count = batch * m * n;
    return {
      a: upload('a'),
      b: upload('b'),
      ...(operands.a2 && { a2: upload('a2'), b2: upload('b2') }),
      c: alloc.empty(Math.ceil((elementBytes(version.element) * count) / 4) * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'C'),
    };
  },
  rows: (shape) => ({ count: (shape.batch ?? 1) * shape.m, length: shape.n }),
  reference: (operands, shape, rows) => gemmReference(operands, shape, rows).c,
  tolerance(version, expected) {
    let largest = 0;
    for (let i = 0; i < expected.length; i++) largest = Math.max(largest, Math.abs(expected[i]!));
    return { tolerance: TOLERANCE[version.element], floor: largest };
  },
  cost: (shape, version) => ({ flops: flops(shape), bytes: bytes(shape, version.element), dispatches: 1 }),
  refusal: (device, shape, version, knobs) => gemmRefusal(device, shape, version.name as GemmVersion, tilesFrom(knobs)),
  prepare(device, shape, buffers, version, knobs) {
    const prepared = prepareGemm(device, version.name as GemmVersion, shape, buffers as Parameters<typeof prepareGemm>[3], tilesFrom(knobs));
    return { ...prepared, output: { buffer: buffers['c']!, element: version.element } };
  },
};
