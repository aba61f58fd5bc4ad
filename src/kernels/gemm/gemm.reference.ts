// C = A·B on the CPU in plain loops, summed in f64: what every GPU version of gemm.wgsl is checked against.
import type { GemmShape } from './gemm';

/** a: (m, k), b: (k, n), row-major; returns c: (m, n), and per entry Σ|a·b|, the scale its rounding error goes with. */
export function gemmReference(a: ArrayLike<number>, b: ArrayLike<number>, { m, n, k }: GemmShape): { c: Float64Array; scale: Float64Array } {
  const c = new Float64Array(m * n);
  const scale = new Float64Array(m * n);
  for (let row = 0; row < m; row++) {
    for (let i = 0; i < k; i++) {
      const ai = a[row * k + i]!;
      for (let col = 0; col < n; col++) {
        const product = ai * b[i * n + col]!;
        c[row * n + col]! += product;
        scale[row * n + col]! += Math.abs(product);
      }
    }
  }
  return { c, scale };
}
