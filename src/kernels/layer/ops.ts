// The decode layer's small kernels on the kernel interface (src/kernels/family.ts), each timed alone at a layer's
// shapes: RMSNorm (one workgroup a row), the residual add, and SiLU(gate)·up; layer.wgsl's entry points, run by
// layer.ts's smallOp exactly as the layer runs them. Which one is the shape's `op` (its inputs and reference differ);
// rotary positions with the cache append (ropeAppend) are left to the whole layer's check. Activations f32; rows are
// the batch's tokens.
import type { KernelFamily, KernelVersion } from '../family';
import type { Random } from '../gpu/random';
import { smallOp, type LayerShape } from './layer';
import { rmsNorm } from './layer.reference';

export const LAYER_OPS = ['rmsnorm', 'add', 'silu-mul'] as const;
export type LayerOpName = (typeof LAYER_OPS)[number];

/** `rows` tokens of `width` values of one small op (SiLU·up reads gate and up side by side, 2·width a row). */
export interface LayerOpShape {
  op: LayerOpName;
  rows: number;
  width: number;
}

export interface LayerOpInputs {
  /** (rows, width), or (rows, 2·width) for SiLU·up */
  a: Float32Array;
  /** RMSNorm's weights (width), or the add's second operand (rows, width); one unused value for SiLU·up */
  b: Float32Array;
}

export const layerOpVersions = [{ name: 'f32', label: 'small op, f32', unit: 'fp32', element: 'f32', knobs: {} }] as const satisfies readonly KernelVersion[];

const ENTRY = { rmsnorm: 'rmsnorm', add: 'add', 'silu-mul': 'siluMul' } as const;

/** The fields of a layer's shape smallOp reads for these entry points: the rows (the rest is the cache's). */
const layerShapeOf = ({ rows }: LayerOpShape): LayerShape => ({
  batch: rows,
  hidden: 0,
  inner: 0,
  heads: 1,
  kvHeads: 1,
  headDim: 2,
  context: 0,
  weights: 'f32',
  kv: 'f32',
  qkvBias: false,
  ropeTheta: 10000,
});

const silu = (x: number) => x / (1 + Math.exp(-x));

/** FLOPs and the fewest bytes: each input read once and the output written once, f32. */
export function layerOpCost({ op, rows, width }: LayerOpShape): { flops: number; bytes: number } {
  const values = rows * width;
  if (op === 'rmsnorm') return { flops: 4 * values, bytes: 4 * (2 * values + width) };
  if (op === 'add') return { flops: values, bytes: 4 * 3 * values };
  return { flops: 5 * values, bytes: 4 * 3 * values };
}

export const layerOp: KernelFamily<LayerOpShape, LayerOpInputs> = {
  id: 'layer-op',
  versions: layerOpVersions,
  examples: [
    { op: 'rmsnorm', rows: 1, width: 37 },
    { op: 'rmsnorm', rows: 8, width: 1030 },
    { op: 'add', rows: 3, width: 300 },
    { op: 'silu-mul', rows: 8, width: 1030 },
  ],
  shapeOf: ({ op = 0, rows = 1, width }) => {
    if (!width || !LAYER_OPS[op]) throw new Error(`a layer op takes width, and op (${LAYER_OPS.map((name, i) => `${i} ${name}`).join(', ')}; default 0) and rows (default 1)`);
    return { op: LAYER_OPS[op], rows, width };
  },
  inputs({ op, rows, width }, random: Random) {
    const gaussian = (length: number) => random.fill(new Float32Array(length), { kind: 'gaussian', mean: 0, std: 1 });
    if (op === 'rmsnorm') return { a: gaussian(rows * width), b: random.fill(new Float32Array(width), { kind: 'uniform', low: 0.5, high: 1.5 }) };
    if (op === 'add') return { a: gaussian(rows * width), b: gaussian(rows * width) };
    return { a: gaussian(2 * rows * width), b: new Float32Array(1) };
  },
  buffers(alloc, shape, inputs) {
    return {
      a: alloc.from(inputs.a, GPUBufferUsage.STORAGE, 'a'),
      b: alloc.from(inputs.b, GPUBufferUsage.STORAGE, 'b'),
      out: alloc.empty(4 * shape.rows * shape.width, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'out'),
    };
  },
  rows: (shape) => ({ count: shape.rows, length: shape.width }),
  reference({ a, b }, { op, width }, rows) {
    const out = new Float64Array(rows.length * width);
    rows.forEach((row, i) => {
      if (op === 'rmsnorm') {
        out.set(rmsNorm(a.subarray(row * width, (row + 1) * width), b, 1, width), i * width);
        return;
      }
      for (let j = 0; j < width; j++) {
        out[i * width + j] = op === 'add' ? a[row * width + j]! + b[row * width + j]! : silu(a[2 * row * width + j]!) * a[2 * row * width + width + j]!;
      }
    });
    return out;
  },
  tolerance: () => ({ tolerance: 1e-5, floor: 1 }),
  cost: (shape) => ({ ...layerOpCost(shape), dispatches: 1 }),
  refusal: () => null,
  prepare(device, shape, buffers) {
    const { a, b, out } = buffers as Record<'a' | 'b' | 'out', GPUBuffer>;
    const threads = shape.op === 'rmsnorm' ? 0 : shape.rows * shape.width;
    const prepared = smallOp(device, ENTRY[shape.op], layerShapeOf(shape), shape.width, threads, shape.op === 'silu-mul' ? [a, out] : [a, b, out]);
    return { ...prepared, output: { buffer: out, element: 'f32' } };
  },
};
