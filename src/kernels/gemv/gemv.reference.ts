// Plain loops on the CPU, summed in f64: what every GPU version of gemv.wgsl is checked against.
import { fromHalfBits } from '../gpu/f16';
import type { GemvShape } from './cost';

/** Wᵀ as the GPU holds it: (dIn, rowStride) row-major, rows padded past dOut with zeros; f32 values or f16 bits. */
export interface PackedWeights {
  data: Float32Array | Uint16Array;
  /** Elements per row: dOut rounded up to a whole 16-byte word. */
  rowStride: number;
}

let halfTable: Float32Array | undefined;

/** The f32 value of every f16 bit pattern, so the f16 reference costs a table lookup per weight. */
function halfValues(): Float32Array {
  halfTable ??= Float32Array.from({ length: 65536 }, (_, bits) => fromHalfBits(bits));
  return halfTable;
}

/**
 * y = W·x with entries of x at or below `threshold` in magnitude taken as zero (TEAL; −1 keeps everything).
 * weights: Wᵀ (dIn, rowStride); x: (batch, dIn); returns y: (batch, dOut).
 */
export function sparseGemvReference(weights: PackedWeights, x: ArrayLike<number>, shape: GemvShape, threshold: number): Float64Array {
  const { dIn, dOut, batch } = shape;
  const { data, rowStride } = weights;
  const values = data instanceof Uint16Array ? halfValues() : undefined;
  const y = new Float64Array(batch * dOut);
  for (let b = 0; b < batch; b++) {
    const out = b * dOut;
    for (let i = 0; i < dIn; i++) {
      const xi = x[b * dIn + i]!;
      if (!(Math.abs(xi) > threshold)) continue;
      const row = i * rowStride;
      if (values) {
        for (let c = 0; c < dOut; c++) y[out + c]! += xi * values[data[row + c]!]!;
      } else {
        for (let c = 0; c < dOut; c++) y[out + c]! += xi * data[row + c]!;
      }
    }
  }
  return y;
}

/** y = W·x, dense: weights Wᵀ (dIn, rowStride); x: (batch, dIn); returns y: (batch, dOut). */
export function gemvReference(weights: PackedWeights, x: ArrayLike<number>, shape: GemvShape): Float64Array {
  return sparseGemvReference(weights, x, shape, -1);
}

/** ‖a − b‖ / ‖b‖ over all entries (0 when both are zero): the accuracy cost of a sparsity, y_sparse against y. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let difference = 0;
  let norm = 0;
  for (let i = 0; i < b.length; i++) {
    difference += (a[i]! - b[i]!) ** 2;
    norm += b[i]! ** 2;
  }
  return norm === 0 ? (difference === 0 ? 0 : Infinity) : Math.sqrt(difference / norm);
}

/** The root mean square of y: the scale that outputs near zero are judged on. */
export function rms(y: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum += y[i]! ** 2;
  return Math.sqrt(sum / Math.max(1, y.length));
}
