// Attention kernels (src/kernels/attention):
//   1 naive, f32: S = Q·Kᵀ written to device memory by the GEMM (src/kernels/gemm, one batch entry a head), a row
//     softmax in place (softmax.wgsl), then O = P·V by the GEMM again;
//   2 tiled, f32 (tiled.wgsl): FlashAttention-2's order, the scores never leaving the workgroup;
//   3 matrix, f16 on the matrix units (walk.wgsl with matrix.wgsl's header): version 2's walk with both products on
//     subgroup matrices.
import { prepareGemm } from '../gemm/gemm';
import { matrixRefusal, subgroupMaxSizeOf } from '../matrix/matrix';
import { createBufferFrom } from '../gpu/buffers';
import { checkBuffer, checkWorkgroups, checkWorkgroupSize, firstRefusal } from '../gpu/limits';
import { bindBuffers, cachedPerDevice, grid2d, inSequence, oneDispatch } from '../gpu/pipelines';
import type { FamilyDevice } from '../family';
import type { Prepared } from '../gpu/types';
import type { AttentionShape } from './cost';
import reduceSource from '../gpu/workgroup-reduce.wgsl';
import softmaxSource from './softmax.wgsl';
import tiledSource from './tiled.wgsl';
import matrixSource from './matrix.wgsl';
import { walkKernel, walkSharedBytes } from './walk';

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
  return inSequence(parts, { o: buffers.o });
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

/**
 * The tiled kernel's blocks: `rows` query rows a workgroup (64 or 128) and keys `keys` at a time (64 or 128), each
 * thread of 16×16 holding rows/16 × keys/16 scores; the head dimension it can hold.
 */
export interface TiledBlocks {
  rows: number;
  keys: number;
}
export const TILED_KNOBS = { rows: [64, 128], keys: [64, 128] } as const;
export const TILED = { maxHeadDim: 128, sharedBytes: 8192 } as const;
export const tiledDefaults: TiledBlocks = { rows: TILED_KNOBS.rows[0], keys: TILED_KNOBS.keys[0] };

/**
 * What the tiled kernel moves: each workgroup reads its block of Q once for every block of keys it visits (it
 * stages Q again with each), every block of K and V it visits once, and writes its block of O; summed over the
 * blocks, so the causal mask's skipped blocks are not counted. `elementBytes` each (4 for f32).
 */
export function tiledBytes(shape: AttentionShape, elementBytes = 4, blocks: TiledBlocks = tiledDefaults): number {
  const { batch, heads, seqLen: n, headDim: d, causal } = shape;
  let values = 0;
  for (let rowBase = 0; rowBase < n; rowBase += blocks.rows) {
    const rows = Math.min(blocks.rows, n - rowBase);
    const keys = causal ? Math.min(n, rowBase + blocks.rows) : n;
    const visited = Math.ceil(keys / blocks.keys);
    values += rows * d * visited + 2 * keys * d + rows * d;
  }
  return elementBytes * batch * heads * values;
}

/** Why this device cannot run the tiled kernel at `shape` with `blocks` (naming the limit), or null. */
export function tiledRefusal(limits: Readonly<Record<string, number>>, shape: AttentionShape, blocks: TiledBlocks = tiledDefaults): string | null {
  const { batch, heads, seqLen: n, headDim: d } = shape;
  if (d > TILED.maxHeadDim) return `The tiled kernel holds head dimensions up to ${TILED.maxHeadDim}; ${d} is more.`;
  return firstRefusal(
    checkBuffer(limits, 4 * batch * heads * n * d, `Q, K, V and O (${batch * heads} heads of ${n}×${d})`),
    checkWorkgroups(limits, Math.max(Math.ceil(n / blocks.rows), batch * heads), 'the attention grid'),
  );
}

/**
 * The tiled kernel's storage access for head dimension `d`: readQ, readK, readV (four neighbours along a row, zeros
 * past N or D) and writeO, as vec4s where rows are whole vec4s, else element by element.
 */
function tiledAccess(d: number): string {
  const vectors = d % 4 === 0;
  const type = vectors ? 'vec4f' : 'f32';
  const bindings = ['q', 'k', 'v'].map((name, i) => `@group(0) @binding(${i + 1}) var<storage, read> ${name}: array<${type}>;`);
  bindings.push(`@group(0) @binding(4) var<storage, read_write> o: array<${type}>;`);
  const read = (name: string) =>
    vectors
      ? `fn read${name.toUpperCase()}(base: u32, row: u32, col: u32) -> vec4f {
  if (row < params.n && col < D) {
    return ${name}[(base + row * D + col) / 4u];
  }
  return vec4f(0.0);
}`
      : `fn read${name.toUpperCase()}(base: u32, row: u32, col: u32) -> vec4f {
  var value = vec4f(0.0);
  if (row < params.n) {
    for (var i = 0u; i < 4u; i++) {
      if (col + i < D) {
        value[i] = ${name}[base + row * D + col + i];
      }
    }
  }
  return value;
}`;
  const write = vectors
    ? `fn writeO(base: u32, row: u32, col: u32, value: vec4f) {
  o[(base + row * D + col) / 4u] = value;
}`
    : `fn writeO(base: u32, row: u32, col: u32, value: vec4f) {
  for (var i = 0u; i < 4u; i++) {
    if (col + i < D) {
      o[base + row * D + col + i] = value[i];
    }
  }
}`;
  return [...bindings, read('q'), read('k'), read('v'), write].join('\n');
}

/** The tiled kernel's WGSL for head dimension `d` and `blocks`. */
export function tiledAttentionSource(d: number, blocks: TiledBlocks): string {
  const constants = { D: d, RH: blocks.rows / 64, KH: blocks.keys / 64, DH: Math.ceil(d / 64) };
  return [Object.entries(constants).map(([name, value]) => `const ${name} = ${value}u;`).join('\n'), tiledSource, tiledAccess(d)].join('\n');
}

/** Tiled attention in f32 on buffers it is given: q, k, v and o (batch, heads, N, d). Scale 1/√d. */
export function prepareTiledAttention(
  device: GPUDevice,
  shape: AttentionShape,
  buffers: { q: GPUBuffer; k: GPUBuffer; v: GPUBuffer; o: GPUBuffer },
  blocks: TiledBlocks = tiledDefaults,
): Prepared<{ o: GPUBuffer }> {
  const { batch, heads, seqLen: n, headDim: d, causal } = shape;
  if (d > TILED.maxHeadDim) throw new Error(`attention: the tiled kernel holds d up to ${TILED.maxHeadDim}, got ${d}`);
  const code = tiledAttentionSource(d, blocks);
  const label = `attention tiled d=${d} ${blocks.rows}×${blocks.keys}`;
  const pipeline = cachedPerDevice(device, label, () =>
    device.createComputePipeline({ label, layout: 'auto', compute: { module: device.createShaderModule({ label, code }) } }),
  );
  const words = new ArrayBuffer(16);
  new Uint32Array(words).set([n, causal ? 1 : 0]);
  new Float32Array(words)[2] = 1 / Math.sqrt(d);
  const params = createBufferFrom(device, new Uint8Array(words), GPUBufferUsage.UNIFORM, 'attention params');
  const group = bindBuffers(device, pipeline, label, [params, buffers.q, buffers.k, buffers.v, buffers.o]);
  return oneDispatch(pipeline, group, { x: Math.ceil(n / blocks.rows), y: batch * heads }, { o: buffers.o }, [params]);
}

/**
 * The matrix kernel's blocks: `subgroups` subgroups of 16 query rows each (so 16·subgroups rows a workgroup), and
 * keys `keys` at a time. Workgroup memory holds the f32 scores and the f16 probabilities of the whole block.
 */
export interface MatrixBlocks {
  subgroups: number;
  keys: number;
}
export const matrixRows = (blocks: MatrixBlocks) => 16 * blocks.subgroups;
/** Workgroup memory as Dawn counts it. */
export const matrixSharedBytes = (blocks: MatrixBlocks) => walkSharedBytes(blocks);

/** Blocks in the order they are preferred; the first whose workgroup memory this device offers is used. */
const MATRIX_BLOCKS: readonly MatrixBlocks[] = [
  { subgroups: 4, keys: 32 },
  { subgroups: 2, keys: 32 },
];

/** The matrix kernel's blocks on a device with these limits: the first preferred ones whose workgroup memory fits. */
export function matrixBlocksFor(limits: { readonly maxComputeWorkgroupStorageSize?: number }): MatrixBlocks {
  const shared = limits.maxComputeWorkgroupStorageSize ?? 16384;
  return MATRIX_BLOCKS.find((blocks) => matrixSharedBytes(blocks) <= shared) ?? MATRIX_BLOCKS.at(-1)!;
}

/**
 * Elements of q, k and v the matrix kernel needs: (batch·heads·N + pad)·d, the pad one block of rows, since it
 * loads whole 16-row tiles past the last row (those rows are zeros it never lets into a result).
 */
export function matrixInputElements(shape: AttentionShape, blocks: MatrixBlocks): number {
  const { batch, heads, seqLen: n, headDim: d } = shape;
  return (batch * heads * n + Math.max(matrixRows(blocks), blocks.keys)) * d;
}

/** What the matrix kernel moves: as the tiled one, with its own blocks, f16 each (its Q tiles stay in registers). */
export function matrixBytes(shape: AttentionShape, blocks: MatrixBlocks): number {
  const { batch, heads, seqLen: n, headDim: d, causal } = shape;
  const rowsPer = matrixRows(blocks);
  let values = 0;
  for (let rowBase = 0; rowBase < n; rowBase += rowsPer) {
    const rows = Math.min(rowsPer, n - rowBase);
    const keys = causal ? Math.min(n, rowBase + rowsPer) : n;
    values += 2 * rows * d + 2 * keys * d;
  }
  return 2 * batch * heads * values;
}

/** Why this device cannot run the matrix kernel at `shape` with `blocks` (naming the limit), or null. */
export function matrixAttentionRefusal(gpu: FamilyDevice, shape: AttentionShape, blocks: MatrixBlocks = matrixBlocksFor(gpu.limits)): string | null {
  const missing = matrixRefusal(gpu.features, gpu.subgroupMatrixConfigs);
  if (missing) return `The tensor-core kernel cannot run: ${missing}.`;
  if ((gpu.subgroupMinSize ?? 16) < 16) return `The tensor-core kernel needs subgroups of at least 16 lanes; this device runs some of ${gpu.subgroupMinSize}.`;
  const { batch, heads, seqLen: n, headDim: d } = shape;
  if (d % 16 !== 0 || d > TILED.maxHeadDim) return `The tensor-core kernel holds head dimensions that are multiples of 16 up to ${TILED.maxHeadDim}; ${d} is not one.`;
  return firstRefusal(
    checkBuffer(gpu.limits, 2 * matrixInputElements(shape, blocks), `Q, K and V (${batch * heads} heads of ${n}×${d} in f16)`),
    checkWorkgroups(gpu.limits, Math.max(Math.ceil(n / matrixRows(blocks)), batch * heads), 'the attention grid'),
    checkWorkgroupSize(gpu.limits, blocks.subgroups * (gpu.subgroupMaxSize ?? 128), matrixSharedBytes(blocks), "the tensor-core kernel's workgroup"),
  );
}

/** The matrix kernel's WGSL for head dimension `d`, `blocks`, and workgroups of `threads` invocations. */
export function matrixAttentionSource(d: number, blocks: MatrixBlocks, threads: number): string {
  return walkKernel(matrixSource, { d, keys: blocks.keys, subgroups: blocks.subgroups, threads, q: 'q' });
}

/**
 * Tiled attention on the matrix units: q, k, v (batch, heads, N, d) f16, each of matrixInputElements() elements
 * (zeros past the last row), and o (batch, heads, N, d) f16. Scale 1/√d. `blocks` overrides the device's choice.
 */
export function prepareMatrixAttention(
  device: GPUDevice,
  shape: AttentionShape,
  buffers: { q: GPUBuffer; k: GPUBuffer; v: GPUBuffer; o: GPUBuffer },
  blocks: MatrixBlocks = matrixBlocksFor(device.limits),
): Prepared<{ o: GPUBuffer }> {
  const { batch, heads, seqLen: n, headDim: d, causal } = shape;
  if (d % 16 !== 0 || d > TILED.maxHeadDim) throw new Error(`attention: the matrix kernel holds d a multiple of 16 up to ${TILED.maxHeadDim}, got ${d}`);
  const threads = blocks.subgroups * subgroupMaxSizeOf(device);
  const code = matrixAttentionSource(d, blocks, threads);
  const label = `attention matrix d=${d}`;
  const pipeline = cachedPerDevice(device, `${label}\n${code}`, () =>
    device.createComputePipeline({ label, layout: 'auto', compute: { module: device.createShaderModule({ label, code }) } }),
  );
  const words = new ArrayBuffer(16);
  new Uint32Array(words).set([n, causal ? 1 : 0]);
  new Float32Array(words)[2] = 1 / Math.sqrt(d);
  const params = createBufferFrom(device, new Uint8Array(words), GPUBufferUsage.UNIFORM, 'attention params');
  const group = bindBuffers(device, pipeline, label, [params, buffers.q, buffers.k, buffers.v, buffers.o]);
  return oneDispatch(pipeline, group, { x: Math.ceil(n / matrixRows(blocks)), y: batch * heads }, { o: buffers.o }, [params]);
}
