// The GEMV family on the kernel interface (src/kernels/family.ts): y = W·s_t(x) for one to eight decoding tokens,
// W stored as Wᵀ (TEAL's layout) and s_t TEAL's sparsification, which takes the entries of x at or below the
// threshold t as zero, t the shape's sparsity quantile of |x|. Versions, in the order of gemv.wgsl's header, each
// with f32 and with f16 weights (sums in f32): dense (every row of Wᵀ, given x as s_t leaves it) and sparse (TEAL's
// kernel, given x and t: only the rows some token keeps). Knobs: the plan's words and lanes a workgroup (0 lanes:
// the plan's own choice), rows in flight a thread, and the workgroups the grid aims at by splitting d_in (gemv.ts).
// Measured numbers stay in the headers. Wᵀ is filled on the GPU with hashed values, so copies of hundreds of MB never
// pass through the CPU.
import type { KernelFamily, KernelVersion, Knobs } from '../family';
import { fillHashed } from '../gpu/hashed';
import type { Distribution, Random } from '../gpu/random';
import { bytes, bytesPerWeight, flops, type GemvShape } from './cost';
import { gemvDispatches, gemvRefusal, gemvUniforms, partialBytes, planGemv, planProblem, prepareGemv, rowStride, type GemvVariant } from './gemv';
import { hashedGemvReference, relativeError, rms } from './gemv.reference';
import { keptRows, thresholdFor } from './sparsity';

/** y = W·s_t(x): W (dOut, dIn) stored as Wᵀ (dIn, dOut), x (batch, dIn) f32, y (batch, dOut) f32; the weights' type is the version's. */
export interface SparseGemvShape {
  dIn: number;
  dOut: number;
  /** Tokens decoded together, 1–8. */
  batch: number;
  /** The fraction of x's entries taken as zero by magnitude (TEAL's sparsity), from 0 (none) to 1. */
  sparsity: number;
  /** How x is drawn, zero mean and unit variance: TEAL's two shapes of hidden states (default Laplacian). */
  distribution?: 'laplace' | 'gaussian';
  /**
   * Copies of Wᵀ and of x that successive runs cycle through, run g on Wᵀ copy g mod weightCopies and x copy
   * g mod xCopies (coprime counts pair every copy with every other), so that a sparse GEMV does not find the rows
   * it reads still in the L2 from the run before, as it would not in a model. Default 1 each; the check reads run 0.
   */
  weightCopies?: number;
  xCopies?: number;
}

export interface GemvInputs {
  /** The seed each copy of Wᵀ is filled from on the GPU (src/kernels/gpu/hashed.ts). */
  weightSeeds: number[];
  /** Elements per row of Wᵀ in the version's weight type. */
  rowStride: number;
  /** Each copy of x: (batch, dIn) f32 */
  xs: Float32Array[];
  /** TEAL's threshold for each copy of x at the shape's sparsity. */
  thresholds: number[];
  /** Rows of Wᵀ the sparse version reads, averaged over the copies of x. */
  keptRows: number;
}

/** Workgroups the plan aims at (gemv.ts's TARGET_WORKGROUPS first), never splitting, and four times as many. */
const WORKGROUPS = [160, 1, 640];

export const gemvVersions = [
  { name: 'dense', label: 'dense, f32 weights', unit: 'fp32', element: 'f32', knobs: { words: [8, 4], lanes: [0, 32, 16], unroll: [4, 8], workgroups: WORKGROUPS } },
  { name: 'sparse', label: 'sparse, f32 weights', unit: 'fp32', element: 'f32', knobs: { words: [16, 8], lanes: [0, 16, 8], unroll: [8, 4], workgroups: WORKGROUPS } },
  { name: 'dense-f16', label: 'dense, f16 weights', unit: 'fp32', element: 'f16', knobs: { words: [8, 4], lanes: [0, 32, 16], unroll: [8, 4], workgroups: WORKGROUPS } },
  { name: 'sparse-f16', label: 'sparse, f16 weights', unit: 'fp32', element: 'f16', knobs: { words: [8, 4], lanes: [0, 32, 16], unroll: [8, 4], workgroups: WORKGROUPS } },
] as const satisfies readonly KernelVersion[];

/** The kernel a version runs: dense or sparse. */
export const variantOf = (version: KernelVersion): GemvVariant => (version.name.startsWith('sparse') ? 'sparse' : 'dense');

/** The shape as gemv.ts and cost.ts take it: the weights in the version's type. */
export const gemvShapeOf = (shape: SparseGemvShape, version: KernelVersion): GemvShape => ({
  dIn: shape.dIn,
  dOut: shape.dOut,
  batch: shape.batch,
  weights: version.element,
});

const planOf = (shape: SparseGemvShape, version: KernelVersion, knobs: Knobs) => planGemv(gemvShapeOf(shape, version), variantOf(version), knobs);

/** x as TEAL leaves it: the entries at or below the threshold set to zero. */
const sparsified = (x: Float32Array, threshold: number) => x.map((value) => (Math.abs(value) > threshold ? value : 0));

/** f32 sums over a few thousand terms in another order than the f64 reference land far under this. */
const TOLERANCE = 1e-4;

/** ‖y − y_dense‖ / ‖y_dense‖ over every output of the first (Wᵀ, x) pair: what TEAL's sparsity costs in accuracy. */
export function outputError(shape: SparseGemvShape, inputs: GemvInputs): number {
  const weights = { seed: inputs.weightSeeds[0]!, rowStride: inputs.rowStride };
  const tokens = Array.from({ length: shape.batch }, (_, b) => b);
  const x = inputs.xs[0]!;
  return relativeError(hashedGemvReference(weights, x, shape, inputs.thresholds[0]!, tokens), hashedGemvReference(weights, x, shape, -1, tokens));
}

export const gemv: KernelFamily<SparseGemvShape, GemvInputs> = {
  id: 'gemv',
  versions: gemvVersions,
  examples: [
    { dIn: 37, dOut: 45, batch: 1, sparsity: 0 },
    { dIn: 1000, dOut: 203, batch: 3, sparsity: 0.5 },
    { dIn: 300, dOut: 130, batch: 2, sparsity: 0.9, distribution: 'gaussian', weightCopies: 2, xCopies: 3 },
    { dIn: 190, dOut: 77, batch: 8, sparsity: 0.3 },
  ],
  shapeOf: ({ dIn, dOut, batch = 1, sparsity = 0, weightCopies = 1, xCopies = 1 }) => {
    if (!dIn || !dOut) throw new Error('a GEMV shape takes dIn and dOut, and batch (1 to 8 tokens), sparsity (0 to 1), weightCopies and xCopies');
    return { dIn, dOut, batch, sparsity, weightCopies, xCopies };
  },
  inputs(shape, random: Random, version) {
    const weightSeeds = Array.from({ length: shape.weightCopies ?? 1 }, () => Math.floor(random.next() * 2 ** 32));
    // Zero mean and unit variance either way, so the two shapes compare at one scale.
    const distribution: Distribution =
      shape.distribution === 'gaussian' ? { kind: 'gaussian', mean: 0, std: 1 } : { kind: 'laplace', location: 0, scale: Math.SQRT1_2 };
    const xs = Array.from({ length: shape.xCopies ?? 1 }, () => random.fill(new Float32Array(shape.batch * shape.dIn), distribution));
    const thresholds = xs.map((x) => thresholdFor(x, shape.sparsity));
    const kept = xs.map((x, k) => keptRows(x, shape.batch, shape.dIn, thresholds[k]!));
    return { weightSeeds, rowStride: rowStride(gemvShapeOf(shape, version)), xs, thresholds, keptRows: kept.reduce((a, b) => a + b, 0) / kept.length };
  },
  buffers(alloc, shape, inputs, version, knobs) {
    const plan = planOf(shape, version, knobs);
    const variant = variantOf(version);
    const buffers: Record<string, GPUBuffer> = {};
    const elements = shape.dIn * inputs.rowStride;
    inputs.weightSeeds.forEach((seed, k) => {
      // Wᵀ: (dIn, rowStride) of the version's type, padded rows included (gemv.wgsl drops the padded outputs).
      buffers[`weights ${k}`] = alloc.empty(elements * bytesPerWeight[version.element], GPUBufferUsage.STORAGE, `Wᵀ ${k}`);
      fillHashed(alloc.device, buffers[`weights ${k}`]!, elements, version.element, seed);
    });
    inputs.xs.forEach((x, k) => {
      const threshold = inputs.thresholds[k]!;
      // dense reads every row, so it is given x as TEAL leaves it; sparse is given x and the threshold.
      buffers[`x ${k}`] = alloc.from(variant === 'sparse' ? x : sparsified(x, threshold), GPUBufferUsage.STORAGE, `x ${k}`);
      buffers[`shape ${k}`] = alloc.from(new Uint8Array(gemvUniforms(variant, gemvShapeOf(shape, version), plan, threshold)), GPUBufferUsage.UNIFORM, `shape ${k}`);
    });
    // y: (batch, dOut) f32, NaN until written, so an output the kernel never writes fails the check.
    const y = new Float32Array(shape.batch * shape.dOut).fill(NaN);
    buffers['y'] = alloc.from(y, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'y');
    buffers['partial'] = alloc.empty(Math.max(16, partialBytes(gemvShapeOf(shape, version), plan)), GPUBufferUsage.STORAGE, 'partial sums');
    return buffers;
  },
  rows: (shape) => ({ count: shape.batch, length: shape.dOut }),
  reference: (inputs, shape, rows) => hashedGemvReference({ seed: inputs.weightSeeds[0]!, rowStride: inputs.rowStride }, inputs.xs[0]!, shape, inputs.thresholds[0]!, rows),
  // Outputs near zero are judged on the scale of the rows checked (all zero where the sparsity drops every row).
  tolerance: (_, expected) => ({ tolerance: TOLERANCE, floor: Math.max(rms(expected), Number.MIN_VALUE) }),
  cost(shape, version) {
    // The rows sparse reads, expected: a row is left only where every token drops its entry, s^batch of them.
    const kept = variantOf(version) === 'sparse' ? Math.round(shape.dIn * (1 - shape.sparsity ** shape.batch)) : shape.dIn;
    const gemvShape = gemvShapeOf(shape, version);
    return { flops: flops(gemvShape, kept), bytes: bytes(gemvShape, kept), dispatches: gemvDispatches(planGemv(gemvShape, variantOf(version))) };
  },
  refusal(device, shape, version, knobs) {
    if (!(shape.sparsity >= 0 && shape.sparsity <= 1)) return `a sparsity of ${shape.sparsity}: it takes a fraction from 0 to 1`;
    const plan = planOf(shape, version, knobs);
    return planProblem(plan) ?? gemvRefusal(device.limits, gemvShapeOf(shape, version), plan);
  },
  prepare(device, shape, buffers, version, knobs) {
    const plan = planOf(shape, version, knobs);
    const [weightCopies, xCopies] = [shape.weightCopies ?? 1, shape.xCopies ?? 1];
    const pairs = Array.from({ length: weightCopies * xCopies }, (_, p) => {
      const [w, k] = [Math.floor(p / xCopies), p % xCopies];
      const own = { weights: buffers[`weights ${w}`]!, x: buffers[`x ${k}`]!, uniforms: buffers[`shape ${k}`]!, y: buffers['y']!, partial: buffers['partial']! };
      return prepareGemv(device, variantOf(version), gemvShapeOf(shape, version), plan, own);
    });
    // Every run writes y, so each waits for the one before, as one layer's GEMV waits for the last layer's.
    let run = 0;
    return {
      encode(pass) {
        const g = run++;
        pairs[(g % weightCopies) * xCopies + (g % xCopies)]!.encode(pass);
      },
      output: { buffer: buffers['y']!, element: 'f32' },
      dispatches: gemvDispatches(plan),
      destroy: () => pairs.forEach((pair) => pair.destroy()),
    };
  },
};
