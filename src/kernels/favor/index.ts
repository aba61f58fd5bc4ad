// The FAVOR+ family on the kernel interface (src/kernels/family.ts): softmax attention approximated with m positive
// random features (Performers), q, k, v and o (batch, heads, N, d) row-major. One version (favor.ts: four products on
// the tiled f32 GEMM, the feature map and the division in favor.wgsl; knob: the GEMM's depth of K a step). The shape
// carries the features: how many (m), how they are drawn (orthogonal or independent), and the inputs' scale.
import type { KernelFamily, KernelVersion } from '../family';
import { tilesFrom } from '../gemm/index';
import { TILES } from '../gemm/gemm';
import type { Random } from '../gpu/random';
import { favorDispatches, favorFlops, favorRefusal, prepareFavor, withOnes, type FavorShape } from './favor';
import { favorRows } from './favor.reference';
import { halfSquaredNorms, randomFeatures, type FeatureKind } from './features';

export interface FavorRun extends FavorShape {
  /** How the m random features ω are drawn. */
  kind: FeatureKind;
  /** q and k are drawn with this standard deviation (larger: sharper attention); default 1. */
  scale?: number;
}

export interface FavorInputs {
  /** (batch, heads, N, d): q and k at the shape's scale, v unit Gaussians; exact attention reads these. */
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  /** What FAVOR+ reads: q and k times d^-¼, so that q′·k′ estimates exp(qᵀk/√d), and [V | 1]: (batch, heads, N, d + 1). */
  qs: Float32Array;
  ks: Float32Array;
  v1: Float32Array;
  /** ω: (m, d), drawn as the shape says. */
  omega: Float32Array;
}

/** Rows of the first head a check reads (from its first), besides the last row of the last head. */
const CHECKED_ROWS = 64;

export const favorVersions = [{ name: 'favor', label: 'FAVOR+, f32', unit: 'fp32', element: 'f32', knobs: { bk: [TILES.tiled.bk, 16] } }] as const satisfies readonly KernelVersion[];

export const favor: KernelFamily<FavorRun, FavorInputs> = {
  id: 'favor',
  versions: favorVersions,
  examples: [
    { batch: 1, heads: 1, seqLen: 1, headDim: 16, features: 16, kind: 'orthogonal' },
    { batch: 1, heads: 2, seqLen: 37, headDim: 64, features: 77, kind: 'independent' },
    { batch: 2, heads: 1, seqLen: 130, headDim: 80, features: 130, kind: 'orthogonal', scale: 2 },
  ],
  shapeOf: ({ seqLen, batch = 1, heads = 1, headDim = 64, features = 256, independent = 0, scale = 1 }) => {
    if (!seqLen) throw new Error('a FAVOR+ shape takes seqLen, and batch, heads, headDim, features, independent (0 or 1) and scale (defaults 1, 1, 64, 256, 0, 1)');
    return { batch, heads, seqLen, headDim, features, kind: independent ? 'independent' : 'orthogonal', scale };
  },
  inputs(shape, random: Random) {
    const { batch, heads, seqLen: n, headDim: d, features: m, kind, scale = 1 } = shape;
    const size = batch * heads * n * d;
    const [q, k, v] = [0, 1, 2].map(() => random.fill(new Float32Array(size), { kind: 'gaussian', mean: 0, std: scale })) as [Float32Array, Float32Array, Float32Array];
    v.forEach((x, i) => (v[i] = x / scale));
    const quarter = d ** -0.25;
    const omega = randomFeatures(m, d, kind, Math.floor(random.next() * 2 ** 32));
    return { q, k, v, qs: q.map((x) => x * quarter), ks: k.map((x) => x * quarter), v1: withOnes(v, batch * heads * n, d), omega };
  },
  buffers(alloc, shape, inputs) {
    const { batch, heads, seqLen: n, headDim: d, features: m } = shape;
    return {
      q: alloc.from(inputs.qs, GPUBufferUsage.STORAGE, 'q'),
      k: alloc.from(inputs.ks, GPUBufferUsage.STORAGE, 'k'),
      v1: alloc.from(inputs.v1, GPUBufferUsage.STORAGE, 'v1'),
      omega: alloc.from(inputs.omega, GPUBufferUsage.STORAGE, 'omega'),
      // shift: (m) ‖ωⱼ‖²/2
      shift: alloc.from(halfSquaredNorms(inputs.omega, m, d), GPUBufferUsage.STORAGE, 'shift'),
      o: alloc.empty(4 * batch * heads * n * d, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'o'),
    };
  },
  /** One row a query of each head; the first 64 of the first head and the last of the last are checked. */
  rows(shape) {
    const count = shape.batch * shape.heads * shape.seqLen;
    const first = [...Array(Math.min(shape.seqLen, CHECKED_ROWS)).keys()];
    return { count, length: shape.headDim, checked: count - 1 > first.at(-1)! ? [...first, count - 1] : first };
  },
  reference({ qs, ks, v, omega }, shape, rows) {
    const { heads, seqLen: n, headDim: d } = shape;
    const out = new Float64Array(rows.length * d);
    // Rows come in runs of one head: each head's K′ᵀ[V | 1] is made once.
    for (let start = 0; start < rows.length; ) {
      const head = Math.floor(rows[start]! / n);
      let end = start;
      while (end < rows.length && Math.floor(rows[end]! / n) === head) end++;
      const inHead = rows.slice(start, end).map((row) => row % n);
      out.set(favorRows(shape, qs, ks, v, omega, { b: Math.floor(head / heads), h: head % heads }, inHead), start * d);
      start = end;
    }
    return out;
  },
  // Outputs are weighted averages of unit Gaussians: f32 against float64, errors against 1.
  tolerance: () => ({ tolerance: 1e-4, floor: 1 }),
  cost: (shape) => ({
    flops: favorFlops(shape),
    // q, k and v read and o written once, and ω read: what any FAVOR+ must move.
    bytes: 4 * (4 * shape.batch * shape.heads * shape.seqLen * shape.headDim + shape.features * shape.headDim),
    dispatches: favorDispatches(shape),
  }),
  refusal: (device, shape, _version, knobs) => favorRefusal(device.limits, shape, tilesFrom(knobs)),
  prepare(device, shape, buffers, _version, knobs) {
    const prepared = prepareFavor(device, shape, buffers as Parameters<typeof prepareFavor>[2], tilesFrom(knobs));
    return { ...prepared, output: { buffer: buffers['o']!, element: 'f32' } };
  },
};
