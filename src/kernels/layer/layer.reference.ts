// One decoder layer's decode step on the CPU in f64, to check layer.ts against: the same ops in the same order, the
// weights read a row of Wᵀ at a time from a function (so a multi-GB layer need not be held in JS), the new K and V
// rounded as the cache stores them.
import { fromHalfBits, toHalfBits } from '../gpu/f16';
import { layerProducts, RMS_EPS, rotaryTable, type LayerShape } from './layer';

export interface LayerInputs {
  /** (batch, hidden) */
  x: ArrayLike<number>;
  /** Row i of Wᵀ of a product: its d_out weights as stored. */
  row: (product: 'qkv' | 'o' | 'gateUp' | 'down', i: number) => ArrayLike<number>;
  norms: { attention: ArrayLike<number>; mlp: ArrayLike<number> };
  /** ((heads + 2·kvHeads)·headDim) */
  qkvBias: ArrayLike<number>;
  /** The cache at a past position: (headDim) values as stored. */
  past: (cache: 'k' | 'v', b: number, kvHead: number, t: number) => ArrayLike<number>;
  /** Called every few thousand rows of weights: lets a page breathe and a run be cancelled. */
  pause?: () => Promise<void>;
}

const PAUSE_ROWS = 2048;

/** x (rows × width) normalized row by row, times the norm's weights. */
export function rmsNorm(x: ArrayLike<number>, weights: ArrayLike<number>, rows: number, width: number): Float64Array {
  const out = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    let squares = 0;
    for (let i = 0; i < width; i++) squares += x[r * width + i]! ** 2;
    const scale = 1 / Math.sqrt(squares / width + RMS_EPS);
    for (let i = 0; i < width; i++) out[r * width + i] = x[r * width + i]! * scale * weights[i]!;
  }
  return out;
}

/** y (rows × dOut) = x (rows × dIn) · W, W given a row of Wᵀ at a time. */
export async function matVec(x: ArrayLike<number>, rows: number, dIn: number, dOut: number, row: (i: number) => ArrayLike<number>, pause?: () => Promise<void>): Promise<Float64Array> {
  const y = new Float64Array(rows * dOut);
  for (let i = 0; i < dIn; i++) {
    const weights = row(i);
    for (let r = 0; r < rows; r++) {
      const value = x[r * dIn + i]!;
      const base = r * dOut;
      for (let c = 0; c < dOut; c++) y[base + c]! += value * weights[c]!;
    }
    if (pause && i % PAUSE_ROWS === PAUSE_ROWS - 1) await pause();
  }
  return y;
}

const asStored = (kv: LayerShape['kv']) => (kv === 'f16' ? (value: number) => fromHalfBits(toHalfBits(value)) : (value: number) => Math.fround(value));

export async function decodeLayerReference(shape: LayerShape, inputs: LayerInputs): Promise<Float64Array> {
  const { batch: rows, hidden, inner, heads, kvHeads, headDim, context } = shape;
  const products = layerProducts(shape);
  const width = products.qkv.dOut;
  const normed = rmsNorm(inputs.x, inputs.norms.attention, rows, hidden);
  const qkv = await matVec(normed, rows, hidden, width, (i) => inputs.row('qkv', i), inputs.pause);
  for (let r = 0; r < rows; r++) for (let c = 0; c < width; c++) qkv[r * width + c]! += inputs.qkvBias[c]!;
  const table = rotaryTable(headDim, shape.ropeTheta, context);
  const half = headDim / 2;
  const rotate = (r: number, head: number): Float64Array => {
    const base = r * width + head * headDim;
    const out = new Float64Array(headDim);
    for (let e = 0; e < headDim; e++) {
      const [cos, sin] = [table[2 * (e % half)]!, table[2 * (e % half) + 1]!];
      out[e] = e < half ? qkv[base + e]! * cos - qkv[base + e + half]! * sin : qkv[base + e]! * cos + qkv[base + e - half]! * sin;
    }
    return out;
  };
  const stored = asStored(shape.kv);
  const group = heads / kvHeads;
  const attended = new Float64Array(rows * heads * headDim);
  for (let r = 0; r < rows; r++) {
    const newK = Array.from({ length: kvHeads }, (_, h) => rotate(r, heads + h).map(stored));
    const newV = Array.from({ length: kvHeads }, (_, h) => qkv.subarray(r * width + (heads + kvHeads + h) * headDim, r * width + (heads + kvHeads + h + 1) * headDim).map(stored));
    for (let head = 0; head < heads; head++) {
      const q = rotate(r, head);
      const kvHead = Math.floor(head / group);
      const scores = new Float64Array(context + 1);
      for (let t = 0; t <= context; t++) {
        const k = t < context ? inputs.past('k', r, kvHead, t) : newK[kvHead]!;
        let dot = 0;
        for (let e = 0; e < headDim; e++) dot += q[e]! * k[e]!;
        scores[t] = dot / Math.sqrt(headDim);
      }
      const most = Math.max(...scores);
      let sum = 0;
      for (let t = 0; t <= context; t++) sum += (scores[t] = Math.exp(scores[t]! - most));
      const out = attended.subarray((r * heads + head) * headDim, (r * heads + head + 1) * headDim);
      for (let t = 0; t <= context; t++) {
        const v = t < context ? inputs.past('v', r, kvHead, t) : newV[kvHead]!;
        for (let e = 0; e < headDim; e++) out[e]! += (scores[t]! / sum) * v[e]!;
      }
    }
    if (inputs.pause) await inputs.pause();
  }
  const projected = await matVec(attended, rows, heads * headDim, hidden, (i) => inputs.row('o', i), inputs.pause);
  const middle = projected.map((value, i) => value + inputs.x[i]!);
  const normed2 = rmsNorm(middle, inputs.norms.mlp, rows, hidden);
  const gateUp = await matVec(normed2, rows, hidden, 2 * inner, (i) => inputs.row('gateUp', i), inputs.pause);
  const act = new Float64Array(rows * inner);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < inner; i++) {
      const gate = gateUp[r * 2 * inner + i]!;
      act[r * inner + i] = (gate / (1 + Math.exp(-gate))) * gateUp[r * 2 * inner + inner + i]!;
    }
  }
  const down = await matVec(act, rows, inner, hidden, (i) => inputs.row('down', i), inputs.pause);
  return down.map((value, i) => value + middle[i]!);
}
