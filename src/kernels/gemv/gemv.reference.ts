// Plain loops on the CPU, summed in f64: what every GPU version of gemv.wgsl is checked against.
import { halfValues } from '../gpu/f16';
import { hashValue } from '../gpu/hashed';
import type { GemvShape } from './cost';

/** Wᵀ as the GPU holds it: (dIn, rowStride) row-major, rows padded past dOut with zeros; f32 values or f16 bits. */
export interface PackedWeights {
  data: Float32Array | Uint16Array;
  /** Elements per row: dOut rounded up to a whole 16-byte word. */
  rowStride: number;
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

/** Wᵀ filled on the GPU from `seed` (src/kernels/gpu/hashed.ts): entry (i, c) is hashValue(i·rowStride + c, seed), exact in f16. */
export interface HashedWeights {
  seed: number;
  /** Elements per row: dOut rounded up to a whole 16-byte word. */
  rowStride: number;
}

/**
 * sparseGemvReference for hashed weights and only the tokens `tokens` of x (batch, dIn); returns (tokens.length,
 * dOut). Each weight is recomputed as it is read, so a Wᵀ of hundreds of MB is never held on the CPU.
 */
export function hashedGemvReference(
  weights: HashedWeights,
  x: ArrayLike<number>,
  shape: Pick<GemvShape, 'dIn' | 'dOut'>,
  threshold: number,
  tokens: readonly number[],
): Float64Array {
  const { dIn, dOut } = shape;
  const y = new Float64Array(tokens.length * dOut);
  const kept = new Float64Array(tokens.length);
  for (let i = 0; i < dIn; i++) {
    let any = false;
    for (let t = 0; t < tokens.length; t++) {
      const xi = x[tokens[t]! * dIn + i]!;
      kept[t] = Math.abs(xi) > threshold ? xi : 0;
      any ||= kept[t] !== 0;
    }
    if (!any) continue;
    const row = i * weights.rowStride;
    for (let c = 0; c < dOut; c++) {
      const w = hashValue(row + c, weights.seed);
      for (let t = 0; t < tokens.length; t++) y[t * dOut + c]! += kept[t]! * w;
    }
  }
  return y;
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
