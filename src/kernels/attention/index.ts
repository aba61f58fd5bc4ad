// The attention family on the kernel interface (src/kernels/family.ts): O = softmax(QKᵀ/√d [+ causal mask])·V for
// B·H heads, q, k, v and o (batch, heads, N, d) row-major. Versions, in the order of attention.ts's header: 1 naive
// (the N×N scores written by the GEMM, softmaxed in place, multiplied by V; f32), 2 tiled (FlashAttention-2's walk,
// f32 on the FMA units; knobs: query rows a workgroup, keys a block), 3 matrix (version 2's
// walk with both products on the subgroup matrices, f16; knobs: subgroups of 16 query rows a workgroup, keys a
// block). Measured numbers stay in the WGSL headers.
import type { KernelFamily, KernelVersion, Knobs } from '../family';
import { splitsOf } from '../gemm/gemm';
import { roundedToHalf, toHalfArray } from '../gpu/f16';
import { fillHashed, hashValues, isHashed, type HashedInput } from '../gpu/hashed';
import type { Random } from '../gpu/random';
import {
  matrixAttentionRefusal,
  matrixInputElements,
  naiveRefusal,
  prepareMatrixAttention,
  prepareNaiveAttention,
  prepareTiledAttention,
  scoreBytes,
  TILED_KNOBS,
  tiledRefusal,
  type MatrixBlocks,
  type TiledBlocks,
} from './attention';
import { attentionRows } from './attention.reference';
import { attentionFlops, fewestBytes, type AttentionShape } from './cost';

export type { AttentionShape } from './cost';

/** Q, K and V as the version stores them (f16 already rounded), each (batch, heads, N, d). */
/** Q, K and V as the version stores them (f16 already rounded), or the seeds of their fills on the GPU where the shape says `hashed`. */
export interface AttentionInputs {
  q: Float32Array | HashedInput;
  k: Float32Array | HashedInput;
  v: Float32Array | HashedInput;
}

/** The matrix version's knobs: subgroups of 16 query rows a workgroup, keys a block (multiples of 16). */
const MATRIX_KNOBS = { subgroups: [4, 2, 1], keys: [32, 64] } as const;

export const attentionVersions = [
  { name: 'naive', label: 'naive, f32', unit: 'fp32', element: 'f32', knobs: {} },
  { name: 'tiled', label: 'tiled, f32', unit: 'fp32', element: 'f32', knobs: TILED_KNOBS },
  { name: 'matrix', label: 'tiled, f16 on subgroup matrices', unit: 'f16-matrix', element: 'f16', knobs: MATRIX_KNOBS },
] as const satisfies readonly KernelVersion[];

/** The matrix version's blocks from its knobs (each at its default where not given). */
export function blocksFrom(knobs: Knobs): MatrixBlocks {
  return { subgroups: knobs['subgroups'] ?? MATRIX_KNOBS.subgroups[0], keys: knobs['keys'] ?? MATRIX_KNOBS.keys[0] };
}

/** The tiled version's blocks from its knobs (each at its default where not given). */
export function tiledBlocksFrom(knobs: Knobs): TiledBlocks {
  return { rows: knobs['rows'] ?? TILED_KNOBS.rows[0], keys: knobs['keys'] ?? TILED_KNOBS.keys[0] };
}

/** The naive version's dispatches: its two GEMMs (each two where K is split) and the softmax. */
export function naiveDispatches(shape: AttentionShape): number {
  const entries = shape.batch * shape.heads;
  const { seqLen: n, headDim: d } = shape;
  const gemm = (m: number, cols: number, k: number) => (splitsOf({ m, n: cols, k, batch: entries }, 'tiled') > 1 ? 2 : 1);
  return gemm(n, n, d) + 1 + gemm(n, d, n);
}

/**
 * Against outputs of about 1 (averages of unit Gaussians): f32 sums over N keys in another order than the f64
 * reference stay far under 1e-4; the matrix version rounds its probabilities and its output to f16 (2^-11 each).
 */
const TOLERANCE = { f32: 1e-4, f16: 3e-3 };

export const attention: KernelFamily<AttentionShape, AttentionInputs> = {
  id: 'attention',
  versions: attentionVersions,
  examples: [
    { batch: 1, heads: 2, seqLen: 37, headDim: 64, causal: true },
    { batch: 2, heads: 1, seqLen: 70, headDim: 32, causal: false },
    { batch: 1, heads: 3, seqLen: 130, headDim: 80, causal: true },
    { batch: 1, heads: 1, seqLen: 200, headDim: 30, causal: false },
    // Inputs filled on the GPU (a long prompt's): an odd count of values, two heads, causal.
    { batch: 1, heads: 2, seqLen: 45, headDim: 16, causal: true, hashed: true },
  ],
  shapeOf: ({ seqLen, batch = 1, heads = 1, headDim = 64, causal = 0 }) => {
    if (!seqLen) throw new Error('an attention shape takes seqLen, and batch, heads, headDim and causal (0 or 1; defaults 1, 1, 64, 0)');
    return { batch, heads, seqLen, headDim, causal: causal !== 0 };
  },
  inputs(shape, random: Random, version) {
    if (shape.hashed) {
      const seed = () => ({ seed: Math.floor(random.next() * 2 ** 30) });
      return { q: seed(), k: seed(), v: seed() };
    }
    const size = shape.batch * shape.heads * shape.seqLen * shape.headDim;
    const [q, k, v] = [0, 1, 2].map(() => {
      const values = random.fill(new Float32Array(size), { kind: 'gaussian', mean: 0, std: 1 });
      return version.element === 'f16' ? roundedToHalf(values) : values;
    });
    return { q: q!, k: k!, v: v! };
  },
  buffers(alloc, shape, inputs, version, knobs) {
    const size = shape.batch * shape.heads * shape.seqLen * shape.headDim;
    const half = version.element === 'f16';
    // The matrix version reads whole 16-row tiles past the last row: its inputs are padded with zeros.
    const padded = half ? matrixInputElements(shape, blocksFrom(knobs)) : size;
    const stored = (values: Float32Array) => {
      if (!half) return values;
      return toHalfArray(values, padded + (padded % 2));
    };
    const upload = (name: keyof AttentionInputs) => {
      const input = inputs[name];
      if (!isHashed(input)) return alloc.from(stored(input), GPUBufferUsage.STORAGE, name);
      // The fill covers the inputs (an even count of halves, whole words); the padding rows stay zero.
      const buffer = alloc.empty(4 * Math.ceil(((half ? 2 : 4) * (padded + (padded % 2))) / 4), GPUBufferUsage.STORAGE, name);
      fillHashed(alloc.device, buffer, size + (size % 2), version.element, input.seed);
      return buffer;
    };
    return {
      q: upload('q'),
      k: upload('k'),
      v: upload('v'),
      o: alloc.empty(4 * Math.ceil(((half ? 2 : 4) * size) / 4), GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'o'),
      // scores: (batch·heads, N, N) f32, the naive version's S and then P.
      ...(version.name === 'naive' && { scores: alloc.empty(scoreBytes(shape), GPUBufferUsage.STORAGE, 'scores') }),
    };
  },
  /** One row a query of each head; rows 0 and N−1 of the first head and of the last are checked. */
  rows(shape) {
    const { batch, heads, seqLen: n, headDim } = shape;
    const ends = n === 1 ? [0] : [0, n - 1];
    const lastHead = batch * heads - 1;
    return { count: batch * heads * n, length: headDim, checked: lastHead > 0 ? [...ends, ...ends.map((row) => lastHead * n + row)] : ends };
  },
  reference({ q, k, v }, shape, rows) {
    const { heads, seqLen: n, headDim: d } = shape;
    const out = new Float64Array(rows.length * d);
    rows.forEach((row, i) => {
      const head = Math.floor(row / n);
      if (isHashed(q) || isHashed(k) || isHashed(v)) {
        // Hashed inputs: this head's Q, K and V recomputed, as a shape of one head.
        const [hq, hk, hv] = [q, k, v].map((input) => (isHashed(input) ? hashValues(input.seed, head * n * d, n * d) : input.subarray(head * n * d, (head + 1) * n * d)));
        out.set(attentionRows({ ...shape, batch: 1, heads: 1 }, hq!, hk!, hv!, { b: 0, h: 0 }, [row % n]), i * d);
        return;
      }
      out.set(attentionRows(shape, q, k, v, { b: Math.floor(head / heads), h: head % heads }, [row % n]), i * d);
    });
    return out;
  },
  tolerance: (version) => ({ tolerance: TOLERANCE[version.element], floor: 1 }),
  cost: (shape, version) => ({
    flops: attentionFlops(shape),
    bytes: fewestBytes(shape, version.element === 'f16' ? 2 : 4),
    dispatches: version.name === 'naive' ? naiveDispatches(shape) : 1,
  }),
  refusal(device, shape, version, knobs) {
    if (version.name === 'naive') return naiveRefusal(device.limits, shape);
    if (version.name === 'tiled') return tiledRefusal(device.limits, shape, tiledBlocksFrom(knobs));
    return matrixAttentionRefusal(device, shape, blocksFrom(knobs));
  },
  prepare(device, shape, buffers, version, knobs) {
    const { q, k, v, o, scores } = buffers as Record<'q' | 'k' | 'v' | 'o' | 'scores', GPUBuffer>;
    const prepared =
      version.name === 'naive'
        ? prepareNaiveAttention(device, shape, { q, k, v, o, scores })
        : version.name === 'tiled'
          ? prepareTiledAttention(device, shape, { q, k, v, o }, tiledBlocksFrom(knobs))
          : prepareMatrixAttention(device, shape, { q, k, v, o }, blocksFrom(knobs));
    return { ...prepared, output: { buffer: o, element: version.element } };
  },
};
