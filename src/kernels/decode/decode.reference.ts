// The CPU reference of decode-time attention, in plain loops and float64:
// out[b, h] = Σ_s softmax_s(q[b, h] · K[b, h / group, s] / √d) · V[b, h / group, s].
import type { DecodeShape } from './plan';
import { hashValues } from '../gpu/hashed';

/**
 * q: (batch, queryHeads, headDim); k, v: (batch, kvHeads, seqLen, headDim), values as numbers (f16 inputs
 * already widened). Returns out: (batch, queryHeads, headDim). The softmax subtracts its max first.
 */
export function decodeReference(shape: DecodeShape, q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>): Float32Array {
  const { batch, queryHeads, kvHeads, seqLen, headDim } = shape;
  const group = queryHeads / kvHeads;
  const scale = 1 / Math.sqrt(headDim);
  const out = new Float32Array(batch * queryHeads * headDim);
  const scores = new Float64Array(seqLen);
  const total = new Float64Array(headDim);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < queryHeads; h++) {
      const qAt = (b * queryHeads + h) * headDim;
      const kvAt = (b * kvHeads + Math.floor(h / group)) * seqLen * headDim;
      let max = -Infinity;
      for (let s = 0; s < seqLen; s++) {
        let dot = 0;
        for (let i = 0; i < headDim; i++) dot += q[qAt + i]! * k[kvAt + s * headDim + i]!;
        scores[s] = dot * scale;
        max = Math.max(max, scores[s]!);
      }
      let sum = 0;
      total.fill(0);
      for (let s = 0; s < seqLen; s++) {
        const p = Math.exp(scores[s]! - max);
        sum += p;
        for (let i = 0; i < headDim; i++) total[i]! += p * v[kvAt + s * headDim + i]!;
      }
      for (let i = 0; i < headDim; i++) out[qAt + i] = total[i]! / sum;
    }
  }
  return out;
}

/**
 * How close the GPU must come to decodeReference: 2e-4 relative, with errors judged against 1% of the
 * largest output where an output sits near zero (outputs are averages of V rows, and some nearly cancel).
 * Where q and the probabilities are rounded to f16 (`halves`, the matrix units' operands), 3e-3 of the largest
 * output, as attention's matrix kernel is judged: each product's operands carry f16's rounding (up to 2^-11).
 */
export function decodeTolerance(expected: ArrayLike<number>, halves = false): { tolerance: number; floor: number } {
  let largest = 0;
  for (let i = 0; i < expected.length; i++) largest = Math.max(largest, Math.abs(expected[i]!));
  if (halves) return { tolerance: 3e-3, floor: Math.max(largest, Number.MIN_VALUE) };
  return { tolerance: 2e-4, floor: Math.max(1e-2 * largest, Number.MIN_VALUE) };
}

/**
 * decodeReference for one sequence of a batch whose K and V were filled by fillHashed with `seeds`: they are
 * recomputed head by head from the seeds, so the CPU never holds the whole cache. Returns (queryHeads, headDim).
 */
export function sequenceReference(shape: DecodeShape, q: Float32Array, sequence: number, seeds: { k: number; v: number }): Float32Array {
  const { queryHeads, kvHeads, seqLen, headDim } = shape;
  const group = queryHeads / kvHeads;
  const out = new Float32Array(queryHeads * headDim);
  const headShape = { batch: 1, queryHeads: group, kvHeads: 1, seqLen, headDim };
  for (let kvHead = 0; kvHead < kvHeads; kvHead++) {
    const first = (sequence * kvHeads + kvHead) * seqLen * headDim;
    const queries = q.subarray((sequence * queryHeads + kvHead * group) * headDim, (sequence * queryHeads + (kvHead + 1) * group) * headDim);
    const k = hashValues(seeds.k, first, seqLen * headDim);
    const v = hashValues(seeds.v, first, seqLen * headDim);
    out.set(decodeReference(headShape, queries, k, v), kvHead * group * headDim);
  }
  return out;
}
