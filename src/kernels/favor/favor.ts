// FAVOR+ (Performers): softmax attention approximated with m positive random features, so it costs time linear
// in N: O = D⁻¹·Q′(K′ᵀV) with Q′ = φ(Q), K′ = φ(K), D = diag(Q′(K′ᵀ1)). Non-causal. The products run on the GEMM
// (src/kernels/gemm), sharing its tiling; favor.wgsl does the feature map and the division:
//   1. projections Q·Ωᵀ and K·Ωᵀ, all heads' rows as one matrix each;
//   2. the feature map in place (favor.wgsl `features`);
//   3. K′ᵀ·[V | 1] for each head (a batch of (m, N)·(N, d + 1) products): K′ᵀV and K′ᵀ1 in one;
//   4. Q′·(K′ᵀ[V | 1]) for each head, then the division by its last column (favor.wgsl `normalize`).
// Inputs q and k are the scaled ones, q/d^¼ and k/d^¼, so that q′·k′ estimates exp(qᵀk/√d).
import { bytes as gemmBytes, flops as gemmFlops, gemmRefusal, prepareGemm, splitsOf, tilesOf, type GemmShape, type GemmTiles } from '../gemm/gemm';
import { createBufferFrom, createEmptyBuffer } from '../gpu/buffers';
import { checkBuffer, firstRefusal } from '../gpu/limits';
import { cachedPerDevice, grid2d, inSequence } from '../gpu/pipelines';
import type { Prepared } from '../gpu/types';
import reduceSource from '../gpu/workgroup-reduce.wgsl';
import favorSource from './favor.wgsl';

export interface FavorShape {
  batch: number;
  heads: number;
  seqLen: number;
  headDim: number;
  /** m, the random features. */
  features: number;
}

/** [V | 1]: (rows, d + 1), each row of V with a one after it, so one product gives K′ᵀV and K′ᵀ1. */
export function withOnes(v: Float32Array, rows: number, d: number): Float32Array {
  const out = new Float32Array(rows * (d + 1));
  for (let row = 0; row < rows; row++) {
    out.set(v.subarray(row * d, (row + 1) * d), row * (d + 1));
    out[row * (d + 1) + d] = 1;
  }
  return out;
}

/** The four products, in order. */
export function favorProducts({ batch, heads, seqLen: n, headDim: d, features: m }: FavorShape): GemmShape[] {
  const rows = batch * heads * n;
  return [
    { m: rows, n: m, k: d, transB: true },
    { m: rows, n: m, k: d, transB: true },
    { m, n: d + 1, k: n, transA: true, batch: batch * heads },
    { m: n, n: d + 1, k: m, batch: batch * heads },
  ];
}

/** FLOPs of the four products (8·N·m·d a head, as the note counts; the feature map's exponentials left out). */
export const favorFlops = (shape: FavorShape) => favorProducts(shape).reduce((sum, product) => sum + gemmFlops(product), 0);

/** What the steps move: each product's operands and result once, and the feature map's and division's passes. */
export function favorBytes(shape: FavorShape): number {
  const { batch, heads, seqLen: n, headDim: d, features: m } = shape;
  const rows = batch * heads * n;
  const products = favorProducts(shape).reduce((sum, product) => sum + gemmBytes(product), 0);
  return products + 4 * (2 * (2 * rows * m + rows * d) + rows * (d + 1) + rows * d);
}

/** Dispatches of one run: each product's one (two where the GEMM splits K), and the three feature and division steps. */
export function favorDispatches(shape: FavorShape, tiles: GemmTiles = tilesOf('tiled')): number {
  return favorProducts(shape).reduce((sum, product) => sum + (splitsOf(product, 'tiled', tiles) > 1 ? 2 : 1), 3);
}

/** Why this device cannot run FAVOR+ at `shape` with the products' `tiles` (naming the limit), or null. */
export function favorRefusal(limits: Readonly<Record<string, number>>, shape: FavorShape, tiles: GemmTiles = tilesOf('tiled')): string | null {
  const { batch, heads, seqLen: n, features: m } = shape;
  const device = { features: new Set<string>(), limits };
  return firstRefusal(
    checkBuffer(limits, 4 * batch * heads * n * m, `The features of ${batch * heads} heads (${n}×${m} each)`),
    ...favorProducts(shape).map((product) => gemmRefusal(device, product, 'tiled', tiles)),
  );
}

function pipelineOf(device: GPUDevice, entryPoint: 'features' | 'normalize'): GPUComputePipeline {
  const label = `favor ${entryPoint}`;
  return cachedPerDevice(device, label, () =>
    device.createComputePipeline({ label, layout: 'auto', compute: { module: device.createShaderModule({ label, code: `${favorSource}\n${reduceSource}` }), entryPoint } }),
  );
}

/** One dispatch of favor.wgsl's `entryPoint` over `rows`, on the given bindings (1: x, 2: shift, 3: out). */
function step(device: GPUDevice, entryPoint: 'features' | 'normalize', rows: number, dims: { m: number; d: number; queries: boolean }, bound: Record<number, GPUBuffer>) {
  const grid = grid2d(rows);
  const params = createBufferFrom(device, new Uint32Array([rows, dims.m, dims.d, grid.x, dims.queries ? 1 : 0, 0, 0, 0]), GPUBufferUsage.UNIFORM, `favor ${entryPoint} params`);
  const pipeline = pipelineOf(device, entryPoint);
  const entries = Object.entries({ 0: params, ...bound }).map(([binding, buffer]) => ({ binding: Number(binding), resource: { buffer } }));
  const group = device.createBindGroup({ label: `favor ${entryPoint}`, layout: pipeline.getBindGroupLayout(0), entries });
  return {
    encode(pass: GPUComputePassEncoder) {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(grid.x, grid.y);
    },
    dispatches: 1,
    destroy: () => params.destroy(),
  };
}

/**
 * FAVOR+ on buffers it is given: q, k (batch, heads, N, d), scaled by d^-¼; v1 (batch, heads, N, d + 1): V with a
 * column of ones; omega (m, d) and shift (m): ‖ωⱼ‖²/2; o (batch, heads, N, d). Its products run on the tiled GEMM
 * with `tiles`. It makes, and destroy() frees, its intermediates: the features of Q and K and the products K′ᵀ[V | 1]
 * and Q′(K′ᵀ[V | 1]).
 */
export function prepareFavor(
  device: GPUDevice,
  shape: FavorShape,
  buffers: { q: GPUBuffer; k: GPUBuffer; v1: GPUBuffer; omega: GPUBuffer; shift: GPUBuffer; o: GPUBuffer },
  tiles: GemmTiles = tilesOf('tiled'),
): Prepared<{ o: GPUBuffer }> {
  const { batch, heads, seqLen: n, headDim: d, features: m } = shape;
  const rows = batch * heads * n;
  const scratch = (values: number, label: string) => createEmptyBuffer(device, 4 * values, GPUBufferUsage.STORAGE, `favor ${label}`);
  const qf = scratch(rows * m, "Q's features");
  const kf = scratch(rows * m, "K's features");
  const kv = scratch(batch * heads * m * (d + 1), 'K′ᵀ[V | 1]');
  const out = scratch(rows * (d + 1), 'Q′K′ᵀ[V | 1]');
  const [projectQ, projectK, reduceKV, product] = favorProducts(shape);
  const parts = [
    prepareGemm(device, 'tiled', projectQ!, { a: buffers.q, b: buffers.omega, c: qf }, tiles),
    prepareGemm(device, 'tiled', projectK!, { a: buffers.k, b: buffers.omega, c: kf }, tiles),
    step(device, 'features', rows, { m, d, queries: true }, { 1: buffers.q, 2: buffers.shift, 3: qf }),
    step(device, 'features', rows, { m, d, queries: false }, { 1: buffers.k, 2: buffers.shift, 3: kf }),
    prepareGemm(device, 'tiled', reduceKV!, { a: kf, b: buffers.v1, c: kv }, tiles),
    prepareGemm(device, 'tiled', product!, { a: qf, b: kv, c: out }, tiles),
    step(device, 'normalize', rows, { m, d, queries: false }, { 1: out, 3: buffers.o }),
  ];
  return inSequence(parts, { o: buffers.o }, [qf, kf, kv, out]);
}
