// Attention kernels (src/kernels/attention), f32 so far:
//   1 naive: S = Q·Kᵀ written to device memory by the GEMM (src/kernels/gemm, one batch entry a head), a row
//     softmax in place (softmax.wgsl), then O = P·V by the GEMM again;
//   2 tiled (tiled.wgsl): FlashAttention-2's order, the scores never leaving the workgroup.
import { prepareGemm } from '../gemm/gemm';
import { createBufferFrom } from '../gpu/buffers';
import { checkBuffer, checkWorkgroups, firstRefusal } from '../gpu/limits';
import { bindBuffers, cachedPerDevice, grid2d, oneDispatch } from '../gpu/pipelines';
import type { Prepared } from '../gpu/types';
import type { AttentionShape } from './cost';
import reduceSource from '../gpu/workgroup-reduce.wgsl';
import softmaxSource from './softmax.wgsl';
import tiledSource from './tiled.wgsl';

/** Bytes of the naive kernel's scores: an N×N f32 matrix a head. */
export const scoreBytes = ({ batch, heads, seqLen }: AttentionShape) => 4 * batch * heads * seqLen * seqLen;

/** Why this device cannot run naive attention at `shape` (naming the limit), or null. f32 throughout. */
export function naiveRefusal(limits: Readonly<Record<string, number>>, shape: AttentionShape): string | null {
  const { batch, heads, seqLen: n, headDim: d } = shape;
  return firstRefusal(
    checkBuffer(limits, scoreBytes(shape), `The ${n}×${n} scores of ${batch * heads} heads`),
    checkBuffer(limits, 4 * batch * heads * n * d, `Q, K, V and O (${batch * heads} heads of ${n}×${d})`),
  );
}

/**
 * Naive attention in f32 on buffers it is given: q, k, v and o (batch, heads, N, d) and scores (batch·heads, N, N),
 * which it overwrites (S, then P). Scale 1/√d; with `causal` query i sees keys 0..i.
 */
export function prepareNaiveAttention(
  device: GPUDevice,
  shape: AttentionShape,
  buffers: { q: GPUBuffer; k: GPUBuffer; v: GPUBuffer; o: GPUBuffer; scores: GPUBuffer },
): Prepared<{ o: GPUBuffer }> {
  const { batch, heads, seqLen: n, headDim: d, causal } = shape;
  const entries = batch * heads;
  const parts = [
    prepareGemm(device, 'tiled', { m: n, n, k: d, transB: true, batch: entries }, { a: buffers.q, b: buffers.k, c: buffers.scores }),
    prepareSoftmax(device, { rows: entries * n, n, scale: 1 / Math.sqrt(d), causal }, buffers.scores),
    prepareGemm(device, 'tiled', { m: n, n: d, k: n, batch: entries }, { a: buffers.scores, b: buffers.v, c: buffers.o }),
  ];
  return {
    encode: (pass) => parts.forEach((part) => part.encode(pass)),
    outputs: { o: buffers.o },
    dispatches: parts.reduce((sum, part) => sum + part.dispatches, 0),
    destroy: () => parts.forEach((part) => part.destroy()),
  };
}

/**
 * scores (rows × n, f32, row-major) ← softmax(scale·scores [+ causal mask]) row by row, in place; with `causal` a
 * row r of each head (r = row mod n) keeps columns 0..r and the rest become 0.
 */
export function prepareSoftmax(
  device: GPUDevice,
  { rows, n, scale, causal }: { rows: number; n: number; scale: number; causal: boolean },
  scores: GPUBuffer,
): Prepared<{ scores: GPUBuffer }> {
  const grid = grid2d(rows);
  const words = new ArrayBuffer(32);
  new Uint32Array(words).set([rows, n, grid.x, causal ? 1 : 0]);
  new Float32Array(words)[4] = scale;
  const params = createBufferFrom(device, new Uint8Array(words), GPUBufferUsage.UNIFORM, 'softmax params');
  const pipeline = cachedPerDevice(device, 'attention softmax', () =>
    device.createComputePipeline({ label: 'attention softmax', layout: 'auto', compute: { module: device.createShaderModule({ label: 'attention softmax', code: `${softmaxSource}\n${reduceSource}` }) } }),
  );
  return oneDispatch(pipeline, bindBuffers(device, pipeline, 'attention softmax', [params, scores]), grid, { scores }, [params]);
}

/** The tiled kernel's blocks: 64 query rows a workgroup, keys 64 at a time; the head dimension it can hold. */
export const TILED = { rows: 64, keys: 64, maxHeadDim: 128 } as const;

/**
 * What the tiled kernel moves: each workgroup reads its block of Q once for every tile of keys it visits (it
 * stages Q again with each), every tile of K and V it visits once, and writes its block of O; summed over the
 * blocks, so the causal mask's skipped tiles are not counted. `elementBytes` each (4 for f32).
 */
export function tiledBytes(shape: AttentionShape, elementBytes = 4): number {
  const { batch, heads, seqLen: n, headDim: d, causal } = shape;
  let values = 0;
  for (let rowBase = 0; rowBase < n; rowBase += TILED.rows) {
    const rows = Math.min(TILED.rows, n - rowBase);
    const keys = causal ? Math.min(n, rowBase + TILED.rows) : n;
    const tiles = Math.ceil(keys / TILED.keys);
    values += rows * d * tiles + 2 * keys * d + rows * d;
  }
  return elementBytes * batch * heads * values;
}

/** Why this device cannot run the tiled kernel at `shape` (naming the limit), or null. */
export function tiledRefusal(limits: Readonly<Record<string, number>>, shape: AttentionShape): string | null {
  const { batch, heads, seqLen: n, headDim: d } = shape;
  if (d > TILED.maxHeadDim) return `The tiled kernel holds head dimensions up to ${TILED.maxHeadDim}; ${d} is more.`;
  return firstRefusal(
    checkBuffer(limits, 4 * batch * heads * n * d, `Q, K, V and O (${batch * heads} heads of ${n}×${d})`),
    checkWorkgroups(limits, Math.max(Math.ceil(n / TILED.rows), batch * heads), 'the attention grid'),
  );
}

/** Tiled attention in f32 on buffers it is given: q, k, v and o (batch, heads, N, d). Scale 1/√d. */
export function prepareTiledAttention(
  device: GPUDevice,
  shape: AttentionShape,
  buffers: { q: GPUBuffer; k: GPUBuffer; v: GPUBuffer; o: GPUBuffer },
): Prepared<{ o: GPUBuffer }> {
  const { batch, heads, seqLen: n, headDim: d, causal } = shape;
  if (d > TILED.maxHeadDim) throw new Error(`attention: the tiled kernel holds d up to ${TILED.maxHeadDim}, got ${d}`);
  const label = `attention tiled d=${d}`;
  const pipeline = cachedPerDevice(device, label, () =>
    device.createComputePipeline({
      label,
      layout: 'auto',
      compute: { module: device.createShaderModule({ label, code: `const D = ${d}u;\nconst DJ = ${Math.ceil(d / 16)}u;\n${tiledSource}` }) },
    }),
  );
  const words = new ArrayBuffer(16);
  new Uint32Array(words).set([n, causal ? 1 : 0]);
  new Float32Array(words)[2] = 1 / Math.sqrt(d);
  const params = createBufferFrom(device, new Uint8Array(words), GPUBufferUsage.UNIFORM, 'attention params');
  const group = bindBuffers(device, pipeline, label, [params, buffers.q, buffers.k, buffers.v, buffers.o]);
  return oneDispatch(pipeline, group, { x: Math.ceil(n / TILED.rows), y: batch * heads }, { o: buffers.o }, [params]);
}
