// C = op(A)·op(B) [+ scale·A2·B2] on the CPU in plain loops, summed in f64: what every GPU version is checked against.
import { hashValue, isHashed, type HashedInput } from '../gpu/hashed';
import type { GemmShape } from './gemm';

/** An operand held in JS, or filled on the GPU by fillHashed: its values are then recomputed here, never held. */
export type Operand = ArrayLike<number> | HashedInput;

export interface GemmInputs {
  /**
   * Stored as the kernels take them: a (m, k) or (k, m) when transA; b (k, n) or (n, k) when transB; a2 (m, k2);
   * b2 (k2, n); with a batch, its entries one after another in each.
   */
  a: Operand;
  b: Operand;
  a2?: ArrayLike<number>;
  b2?: ArrayLike<number>;
}

/** Element i of an operand, held or hashed. */
const elementOf = (operand: Operand): ((i: number) => number) => (isHashed(operand) ? (i) => hashValue(i, operand.seed) : (i) => operand[i]!);

/**
 * c: (batch, m, n), and per entry Σ|terms|, the scale its rounding error goes with; only the rows of C (counted
 * across the batch, entry e's row r being e·m + r) in `rows` when given, one after another.
 */
export function gemmReference(inputs: GemmInputs, shape: GemmShape, rows?: readonly number[]): { c: Float64Array; scale: Float64Array } {
  const { m, n, k, transA, transB, second, batch = 1 } = shape;
  const k2 = second?.k ?? 0;
  const wanted = rows ?? Array.from({ length: batch * m }, (_, row) => row);
  const c = new Float64Array(wanted.length * n);
  const scale = new Float64Array(wanted.length * n);
  const [aAt, bAt] = [elementOf(inputs.a), elementOf(inputs.b)];
  wanted.forEach((global, r) => {
    const e = Math.floor(global / m);
    const row = global % m;
    const [a, b, a2, b2] = [e * m * k, e * k * n, e * m * k2, e * k2 * n];
    const add = (col: number, term: number) => {
      c[r * n + col]! += term;
      scale[r * n + col]! += Math.abs(term);
    };
    for (let i = 0; i < k; i++) {
      const left = transA ? aAt(a + i * m + row) : aAt(a + row * k + i);
      for (let col = 0; col < n; col++) add(col, left * (transB ? bAt(b + col * k + i) : bAt(b + i * n + col)));
    }
    for (let i = 0; i < k2; i++) {
      const left = second!.scale * inputs.a2![a2 + row * k2 + i]!;
      for (let col = 0; col < n; col++) add(col, left * inputs.b2![b2 + i * n + col]!);
    }
  });
  return { c, scale };
}
