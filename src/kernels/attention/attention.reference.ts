// Exact attention on the CPU, in plain loops and float64, for chosen rows of one head: what every GPU version is
// checked against (sampled rows where N is large). The softmax subtracts its row's max first.
import type { AttentionShape } from './cost';

/**
 * q, k, v: (batch, heads, N, d) row-major, values as numbers (f16 inputs already widened). Returns the output rows
 * `rows` of head (b, h), concatenated: rows.length × d.
 */
export function attentionRows(
  shape: AttentionShape,
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  head: { b: number; h: number },
  rows: readonly number[],
  scale = 1 / Math.sqrt(shape.headDim),
): Float64Array {
  const { heads, seqLen: n, headDim: d, causal } = shape;
  const base = (head.b * heads + head.h) * n * d;
  const out = new Float64Array(rows.length * d);
  const scores = new Float64Array(n);
  rows.forEach((row, r) => {
    const seen = causal ? row + 1 : n;
    let max = -Infinity;
    for (let j = 0; j < seen; j++) {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += q[base + row * d + i]! * k[base + j * d + i]!;
      scores[j] = dot * scale;
      max = Math.max(max, scores[j]!);
    }
    let sum = 0;
    for (let j = 0; j < seen; j++) {
      const p = Math.exp(scores[j]! - max);
      sum += p;
      for (let i = 0; i < d; i++) out[r * d + i]! += p * v[base + j * d + i]!;
    }
    for (let i = 0; i < d; i++) out[r * d + i]! /= sum;
  });
  return out;
}

/** softmax(scale·scores [+ causal mask]) of one N-wide row of scores, query `row` of its head, in float64. */
export function softmaxRow(scores: ArrayLike<number>, row: number, n: number, scale: number, causal: boolean): Float64Array {
  const seen = causal ? row + 1 : n;
  const out = new Float64Array(n);
  let max = -Infinity;
  for (let j = 0; j < seen; j++) max = Math.max(max, scores[j]! * scale);
  let sum = 0;
  for (let j = 0; j < seen; j++) sum += out[j] = Math.exp(scores[j]! * scale - max);
  for (let j = 0; j < seen; j++) out[j]! /= sum;
  return out;
}
