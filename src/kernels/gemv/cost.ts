// The cost model of y = W·x for a few tokens (DESIGN.md, "The units"): the work done and the fewest bytes
// that must cross device memory. A sparse GEMV that reads `keptRows` of the d_in rows of Wᵀ moves
// (keptRows/d_in)·d_in·d_out·elt weight bytes, TEAL's (1 − s)·d_in·d_out·elt at batch 1.

export type WeightType = 'f32' | 'f16';

/** y = W·x with W: (dOut, dIn), stored transposed as Wᵀ: (dIn, dOut); x: (batch, dIn); y: (batch, dOut). */
export interface GemvShape {
  dIn: number;
  dOut: number;
  /** Tokens decoded together, 1–8. */
  batch: number;
  /** How each weight is stored; x and y are f32. */
  weights: WeightType;
}

export const bytesPerWeight: Record<WeightType, number> = { f32: 4, f16: 2 };

/** Floating-point operations of one run: an FMA per (token, read row, output). */
export function flops(shape: GemvShape, keptRows = shape.dIn): number {
  return 2 * shape.batch * keptRows * shape.dOut;
}

/** The fewest bytes one run moves: the read rows of Wᵀ once, x once (all of it: it sets which rows are read), y once. */
export function bytes(shape: GemvShape, keptRows = shape.dIn): number {
  return keptRows * shape.dOut * bytesPerWeight[shape.weights] + 4 * shape.batch * (shape.dIn + shape.dOut);
}
