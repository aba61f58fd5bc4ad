// C = op(A)·op(B) [+ scale·A2·B2] on the CPU in plain loops, summed in f64: what every GPU version is checked against.
import type { GemmShape } from './gemm';

export interface GemmInputs {
  /** Stored as the kernels take them: a (m, k) or (k, m) when transA; b (k, n) or (n, k) when transB; a2 (m, k2); b2 (k2, n). */
  a: ArrayLike<number>;
  b: ArrayLike<number>;
  a2?: ArrayLike<number>;
  b2?: ArrayLike<number>;
}

/** c: (m, n), and per entry Σ|terms|, the scale its rounding error goes with. */
export function gemmReference(inputs: GemmInputs, shape: GemmShape): { c: Float64Array; scale: Float64Array } {
  const { m, n, k, transA, transB, second } = shape;
  const c = new Float64Array(m * n);
  const scale = new Float64Array(m * n);
  const add = (row: number, col: number, term: number) => {
    c[row * n + col]! += term;
    scale[row * n + col]! += Math.abs(term);
  };
  for (let row = 0; row < m; row++) {
    for (let i = 0; i < k; i++) {
      const left = transA ? inputs.a[i * m + row]! : inputs.a[row * k + i]!;
      for (let col = 0; col < n; col++) add(row, col, left * (transB ? inputs.b[col * k + i]! : inputs.b[i * n + col]!));
    }
    for (let i = 0; second && i < second.k; i++) {
      const left = second.scale * inputs.a2![row * second.k + i]!;
      for (let col = 0; col < n; col++) add(row, col, left * inputs.b2![i * n + col]!);
    }
  }
  return { c, scale };
}
