// FAVOR+ on the CPU, in float64 and plain loops, for chosen rows of one head: φ(x)ⱼ = exp(ωⱼᵀx − ‖x‖²/2)/√m,
// O = Q′(K′ᵀV) / Q′(K′ᵀ1), with q and k already scaled by d^-¼. What favor.ts is checked against (and exact
// attention, attentionRows, is what both are compared with for accuracy).
import type { FavorShape } from './favor';

function phi(x: ArrayLike<number>, at: number, omega: ArrayLike<number>, m: number, d: number): Float64Array {
  let norm = 0;
  for (let i = 0; i < d; i++) norm += x[at + i]! ** 2;
  const out = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    let dot = 0;
    for (let i = 0; i < d; i++) dot += omega[j * d + i]! * x[at + i]!;
    out[j] = Math.exp(dot - norm / 2) / Math.sqrt(m);
  }
  return out;
}

/** Rows `rows` of head (b, h), concatenated: rows.length × d. q, k, v: (batch, heads, N, d); omega: (m, d). */
export function favorRows(
  shape: FavorShape,
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  omega: ArrayLike<number>,
  head: { b: number; h: number },
  rows: readonly number[],
): Float64Array {
  const { heads, seqLen: n, headDim: d, features: m } = shape;
  const base = (head.b * heads + head.h) * n * d;
  // K′ᵀ[V | 1]: (m, d + 1)
  const kv = new Float64Array(m * (d + 1));
  for (let t = 0; t < n; t++) {
    const feature = phi(k, base + t * d, omega, m, d);
    for (let j = 0; j < m; j++) {
      for (let i = 0; i < d; i++) kv[j * (d + 1) + i]! += feature[j]! * v[base + t * d + i]!;
      kv[j * (d + 1) + d]! += feature[j]!;
    }
  }
  const out = new Float64Array(rows.length * d);
  rows.forEach((row, r) => {
    const feature = phi(q, base + row * d, omega, m, d);
    let denominator = 0;
    for (let j = 0; j < m; j++) denominator += feature[j]! * kv[j * (d + 1) + d]!;
    for (let i = 0; i < d; i++) {
      let sum = 0;
      for (let j = 0; j < m; j++) sum += feature[j]! * kv[j * (d + 1) + i]!;
      out[r * d + i] = sum / denominator;
    }
  });
  return out;
}
