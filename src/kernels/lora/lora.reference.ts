// LoRA's results on the CPU, in f64, for a few sampled rows (the whole of them would be T·d_in·d_out terms):
// y = xW + s·(xA)B, W′ = W + s·AB, dA = xᵀ(dY·Bᵀ) and dB = (xA)ᵀdY. Every version of the family is checked against
// these, whichever order it multiplies in.
import type { LoraDims } from './chain';

export interface LoraInputs {
  x: Float32Array;
  W: Float32Array;
  A: Float32Array;
  B: Float32Array;
  dY: Float32Array;
}

/** Row `row` of s·(v·A)·B for a d_in-long v. */
function adapterRow(v: ArrayLike<number>, { A, B }: LoraInputs, { dIn, dOut, rank }: LoraDims, scale: number): Float64Array {
  const h = new Float64Array(rank);
  for (let i = 0; i < dIn; i++) for (let q = 0; q < rank; q++) h[q]! += v[i]! * A[i * rank + q]!;
  const out = new Float64Array(dOut);
  for (let q = 0; q < rank; q++) for (let j = 0; j < dOut; j++) out[j]! += scale * h[q]! * B[q * dOut + j]!;
  return out;
}

/** Rows of y = xW [+ s·(xA)B], concatenated. */
export function yRows(inputs: LoraInputs, dims: LoraDims, scale: number, rows: readonly number[], adapter: boolean): Float64Array {
  const { dIn, dOut } = dims;
  const out = new Float64Array(rows.length * dOut);
  rows.forEach((row, n) => {
    const x = inputs.x.subarray(row * dIn, (row + 1) * dIn);
    const lora = adapter ? adapterRow(x, inputs, dims, scale) : new Float64Array(dOut);
    for (let j = 0; j < dOut; j++) out[n * dOut + j] = lora[j]!;
    for (let i = 0; i < dIn; i++) for (let j = 0; j < dOut; j++) out[n * dOut + j]! += x[i]! * inputs.W[i * dOut + j]!;
  });
  return out;
}

/** Rows of W′ = W + s·AB, concatenated. */
export function mergedRows(inputs: LoraInputs, dims: LoraDims, scale: number, rows: readonly number[]): Float64Array {
  const { dOut, rank } = dims;
  const out = new Float64Array(rows.length * dOut);
  rows.forEach((row, n) => {
    for (let j = 0; j < dOut; j++) {
      let sum = inputs.W[row * dOut + j]!;
      for (let q = 0; q < rank; q++) sum += scale * inputs.A[row * rank + q]! * inputs.B[q * dOut + j]!;
      out[n * dOut + j] = sum;
    }
  });
  return out;
}

/** Rows of dA = xᵀ·dY·Bᵀ (d_in, r), each through row i of xᵀdY, concatenated. */
export function dARows(inputs: LoraInputs, { tokens, dIn, dOut, rank }: LoraDims, rows: readonly number[]): Float64Array {
  const out = new Float64Array(rows.length * rank);
  rows.forEach((row, n) => {
    const p = new Float64Array(dOut);
    for (let t = 0; t < tokens; t++) {
      const x = inputs.x[t * dIn + row]!;
      for (let j = 0; j < dOut; j++) p[j]! += x * inputs.dY[t * dOut + j]!;
    }
    for (let q = 0; q < rank; q++) {
      let sum = 0;
      for (let j = 0; j < dOut; j++) sum += p[j]! * inputs.B[q * dOut + j]!;
      out[n * rank + q] = sum;
    }
  });
  return out;
}

/** Rows of dB = (xA)ᵀ·dY (r, d_out), concatenated. */
export function dBRows(inputs: LoraInputs, { tokens, dIn, dOut, rank }: LoraDims, rows: readonly number[]): Float64Array {
  const out = new Float64Array(rows.length * dOut);
  rows.forEach((q, n) => {
    for (let t = 0; t < tokens; t++) {
      let h = 0;
      for (let i = 0; i < dIn; i++) h += inputs.x[t * dIn + i]! * inputs.A[i * rank + q]!;
      for (let j = 0; j < dOut; j++) out[n * dOut + j]! += h * inputs.dY[t * dOut + j]!;
    }
  });
  return out;
}
