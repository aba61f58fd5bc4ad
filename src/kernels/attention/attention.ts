// Attention kernels (src/kernels/attention). Version 1, naive: S = Q·Kᵀ written to device memory by the GEMM
// (src/kernels/gemm, one batch entry a head), a row softmax in place (softmax.wgsl), then O = P·V by the GEMM
// again. The tiled kernel with its online softmax is still to come.
import { prepareGemm } from '../gemm/gemm';
import { createBufferFrom } from '../gpu/buffers';
import { checkBuffer, firstRefusal } from '../gpu/limits';
import { bindBuffers, cachedPerDevice, grid2d, oneDispatch } from '../gpu/pipelines';
import type { Prepared } from '../gpu/types';
import type { AttentionShape } from './cost';
import softmaxSource from './softmax.wgsl';

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
    device.createComputePipeline({ label: 'attention softmax', layout: 'auto', compute: { module: device.createShaderModule({ label: 'attention softmax', code: softmaxSource }) } }),
  );
  return oneDispatch(pipeline, bindBuffers(device, pipeline, 'attention softmax', [params, scores]), grid, { scores }, [params]);
}
