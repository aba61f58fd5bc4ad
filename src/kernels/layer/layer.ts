// One decoder layer's decode step, chained in one pass: RMSNorm, the fused QKV product, rotary positions and the KV
// append, attention over the cache (src/kernels/decode), the output product, a residual add, RMSNorm, the fused
// gate-and-up product, SiLU·up, the down product and the second residual add; the products on the GEMV
// (src/kernels/gemv), the rest in layer.wgsl. And the output head (RMSNorm and the vocabulary product) apart.
// A layer of the Llama family: gated SiLU MLP, RMSNorm, rotary positions, optionally a bias on q, k and v.
import { createBufferFrom, createEmptyBuffer } from '../gpu/buffers';
import { checkBuffer, firstRefusal } from '../gpu/limits';
import { cachedPerDevice, grid2d, inSequence } from '../gpu/pipelines';
import type { Prepared } from '../gpu/types';
import { createDecodeScratch, planDecode, prepareDecode, type DecodePlan, type DecodeVersion } from '../decode/decode';
import { bytesPerWeight, type GemvShape, type WeightType } from '../gemv/cost';
import { gemvDispatches, gemvRefusal, planGemv, prepareGemv } from '../gemv/gemv';
import { fillHashed, hashValues } from '../gpu/hashed';
import reduceSource from '../gpu/workgroup-reduce.wgsl';
import layerSource from './layer.wgsl';

export interface LayerShape {
  /** Sequences decoded together: 1 to MAX_SEQUENCES. */
  batch: number;
  hidden: number;
  /** The MLP's inner width. */
  inner: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  /** Tokens already in each sequence's cache: the step writes position `context` and attends over context + 1. */
  context: number;
  weights: WeightType;
  kv: WeightType;
  /** A bias on q, k and v (Qwen2). */
  qkvBias: boolean;
  ropeTheta: number;
}

export const RMS_EPS = 1e-5;
/** Sequences a decode step takes at once: the GEMV keeps each one's sums in registers. */
export const MAX_SEQUENCES = 8;
const THREADS = 256;

/** The four products of a layer as GEMV shapes (W stored transposed, (d_in, d_out)). */
export function layerProducts(shape: LayerShape): Record<'qkv' | 'o' | 'gateUp' | 'down', GemvShape> {
  const { batch, hidden, inner, heads, kvHeads, headDim, weights } = shape;
  const gemv = (dIn: number, dOut: number): GemvShape => ({ dIn, dOut, batch, weights });
  return {
    qkv: gemv(hidden, (heads + 2 * kvHeads) * headDim),
    o: gemv(heads * headDim, hidden),
    gateUp: gemv(hidden, 2 * inner),
    down: gemv(inner, hidden),
  };
}

/** The output head: RMSNorm, then the product with the vocabulary's (hidden, vocab) matrix. */
export const headProduct = (shape: LayerShape, vocab: number): GemvShape => ({ dIn: shape.hidden, dOut: vocab, batch: shape.batch, weights: shape.weights });

/** K or V of one layer: (batch, kvHeads, context + 1, headDim), in bytes. */
export const cacheBytes = (shape: LayerShape) => shape.batch * shape.kvHeads * (shape.context + 1) * shape.headDim * bytesPerWeight[shape.kv];

/**
 * Attention's plan: rows a lane loads a step (default 4 of an f16 cache, 2 of an f32 one) and splits of the context
 * (default, or 0: planDecode's choice) as given.
 */
export function decodePlanOf(shape: LayerShape, version: DecodeVersion, subgroupMinSize: number, options: { rowsPerStep?: number; splits?: number } = {}): DecodePlan {
  const decode = { batch: shape.batch, queryHeads: shape.heads, kvHeads: shape.kvHeads, seqLen: shape.context + 1, headDim: shape.headDim };
  const rowsPerStep = options.rowsPerStep ?? (shape.kv === 'f16' ? 4 : 2);
  return planDecode(decode, { version, dtype: shape.kv, rowsPerStep, ...(options.splits ? { splits: options.splits } : {}) }, subgroupMinSize);
}

/**
 * A layer's cost as its kernels run it (the layer family's, for `tune`): two FLOPs a weight a token, attention's
 * 4·H·d a cached token, the small ops' few; the fewest bytes are the weights and the cache read once, the new K and V
 * written, the f32 activations in and out of each fused op. The decode-step lab judges a model's layer by the
 * model's op graph instead (src/models/graph.ts: f16 activations, each op apart), within 0.1% of this for the
 * catalogue's models.
 */
export function layerCost(shape: LayerShape): { flops: number; bytes: number } {
  const { batch, hidden, inner, heads, kvHeads, headDim } = shape;
  const products = Object.values(layerProducts(shape));
  const weightBytes = products.reduce((sum, p) => sum + p.dIn * p.dOut * bytesPerWeight[p.weights], 0);
  const productFlops = products.reduce((sum, p) => sum + 2 * p.batch * p.dIn * p.dOut, 0);
  const attentionFlops = 4 * batch * heads * headDim * (shape.context + 1);
  const kvWrite = 2 * batch * kvHeads * headDim * bytesPerWeight[shape.kv];
  const activations = 4 * batch * (2 * hidden + 2 * hidden + (heads + 2 * kvHeads) * headDim + 2 * heads * headDim + 3 * inner + 2 * hidden + 3 * hidden);
  return { flops: productFlops + attentionFlops + 10 * batch * (hidden + inner), bytes: weightBytes + 2 * cacheBytes(shape) + kvWrite + activations };
}

/** The output head's cost as its kernels run it (the head family's): the vocabulary product and the norm before it. */
export function headCost(shape: LayerShape, vocab: number): { flops: number; bytes: number } {
  const p = headProduct(shape, vocab);
  return { flops: 2 * p.batch * p.dIn * p.dOut, bytes: p.dIn * p.dOut * bytesPerWeight[p.weights] + 4 * shape.batch * (2 * shape.hidden + vocab) };
}

/** Dispatches of one layer's step: the products (each one or two), attention's two, and the six small ones. */
export function layerDispatches(shape: LayerShape): number {
  return Object.values(layerProducts(shape)).reduce((sum, p) => sum + gemvDispatches(planGemv(p, 'dense')), 0) + 2 + 6;
}

/** Why this device cannot hold one layer's buffers (naming the buffer and the limit; `what` names the model), or null. */
export function layerRefusal(limits: Readonly<Record<string, number>>, shape: LayerShape, what: string): string | null {
  if (shape.batch < 1 || shape.batch > MAX_SEQUENCES) return `The decode step runs 1 to ${MAX_SEQUENCES} sequences at once; ${shape.batch} is not that.`;
  if (shape.headDim % 8 !== 0) return `The decode step needs a head dimension that is a multiple of 8; ${shape.headDim} is not.`;
  const products = layerProducts(shape);
  return firstRefusal(
    checkBuffer(limits, cacheBytes(shape), `${what}'s KV cache (K or V, one layer)`),
    ...(Object.keys(products) as (keyof typeof products)[]).map((name) => productRefusal(limits, products[name], PRODUCT_NAMES[name], what)),
  );
}

/** Why this device cannot hold the output head's weights, or null. */
export function headRefusal(limits: Readonly<Record<string, number>>, shape: LayerShape, vocab: number, what: string): string | null {
  return productRefusal(limits, headProduct(shape, vocab), 'output head', what);
}

const PRODUCT_NAMES = { qkv: 'Q, K and V weights', o: 'output weights', gateUp: 'gate and up weights', down: 'down weights' } as const;

function productRefusal(limits: Readonly<Record<string, number>>, product: GemvShape, name: string, what: string): string | null {
  const refusal = gemvRefusal(limits, product, planGemv(product, 'dense'));
  return refusal && (refusal.startsWith('Wᵀ') ? `${what}'s ${name}${refusal.slice(2)}` : `${what}'s ${name}: ${refusal}`);
}

/** The rotary table for position `pos`: (headDim / 2) of (cos, sin) of pos · θ^(−2i/headDim), computed in f64. */
export function rotaryTable(headDim: number, theta: number, pos: number): Float32Array {
  const table = new Float32Array(headDim);
  for (let i = 0; i < headDim / 2; i++) {
    const angle = pos * theta ** ((-2 * i) / headDim);
    table[2 * i] = Math.cos(angle);
    table[2 * i + 1] = Math.sin(angle);
  }
  return table;
}

export type Entry = 'rmsnorm' | 'add' | 'siluMul' | 'ropeAppend';

function pipelineOf(device: GPUDevice, entryPoint: Entry): GPUComputePipeline {
  return cachedPerDevice(device, `layer ${entryPoint}`, () =>
    device.createComputePipeline({
      label: `layer ${entryPoint}`,
      layout: 'auto',
      compute: { module: device.createShaderModule({ label: 'layer', code: `${layerSource}\n${reduceSource}` }), entryPoint },
    }),
  );
}

/** One dispatch of a layer.wgsl entry point over `threads` threads (or `rows` workgroups for rmsnorm). */
export function smallOp(device: GPUDevice, entryPoint: Entry, shape: LayerShape, width: number, threads: number, buffers: GPUBuffer[]): Prepared {
  const grid = entryPoint === 'rmsnorm' ? { x: shape.batch, y: 1 } : grid2d(Math.ceil(threads / THREADS));
  const fields = new ArrayBuffer(48);
  new Uint32Array(fields).set([shape.batch, width, shape.heads, shape.kvHeads, shape.headDim, shape.context, shape.context + 1, shape.kv === 'f16' ? 1 : 0]);
  new Float32Array(fields)[8] = RMS_EPS;
  new Uint32Array(fields)[9] = grid.x;
  const params = createBufferFrom(device, new Uint8Array(fields), GPUBufferUsage.UNIFORM, `layer ${entryPoint} params`);
  const pipeline = pipelineOf(device, entryPoint);
  const layout = pipeline.getBindGroupLayout(0);
  // Bindings 0 (params) and 1.. in order; auto layouts keep only what the entry point uses.
  const used: Record<Entry, number[]> = { rmsnorm: [1, 2, 3], add: [1, 2, 3], siluMul: [1, 3], ropeAppend: [1, 2, 3, 4, 5, 6] };
  const group = device.createBindGroup({
    label: `layer ${entryPoint}`,
    layout,
    entries: [{ binding: 0, resource: { buffer: params } }, ...used[entryPoint].map((binding, i) => ({ binding, resource: { buffer: buffers[i]! } }))],
  });
  return {
    encode(pass) {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(grid.x, grid.y);
    },
    outputs: {},
    dispatches: 1,
    destroy: () => params.destroy(),
  };
}

/** What a layer reads: its input rows, weights (packed Wᵀ, as packWeights lays them out), norms, bias and caches. */
export interface LayerBuffers {
  /** (batch, hidden) f32 */
  x: GPUBuffer;
  /** (batch, hidden) f32: x after the layer. */
  out: GPUBuffer;
  weights: Record<'qkv' | 'o' | 'gateUp' | 'down', GPUBuffer>;
  /** (hidden) f32 each: the weights of the norm before attention and before the MLP. */
  norms: { attention: GPUBuffer; mlp: GPUBuffer };
  /** ((heads + 2·kvHeads)·headDim) f32: the bias on q, k and v (zeros where the model has none). */
  qkvBias: GPUBuffer;
  /** (batch, kvHeads, context + 1, headDim) in the KV type: positions before `context` hold the past; the step writes `context`. */
  k: GPUBuffer;
  v: GPUBuffer;
}

/** One layer's decode step ready to encode; its scratch buffers are its own (destroy frees them). */
export function prepareDecodeLayer(device: GPUDevice, shape: LayerShape, buffers: LayerBuffers, plan: DecodePlan): Prepared<{ out: GPUBuffer }> {
  const { batch, hidden, inner, heads, kvHeads, headDim } = shape;
  const products = layerProducts(shape);
  const scratch: GPUBuffer[] = [];
  const f32 = (elements: number, name: string) => {
    const buffer = createEmptyBuffer(device, 4 * elements, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, `layer ${name}`);
    scratch.push(buffer);
    return buffer;
  };
  const normed = f32(batch * hidden, 'normed');
  const qkv = f32(batch * products.qkv.dOut, 'qkv');
  const q = f32(batch * heads * headDim, 'q');
  const attended = f32(batch * heads * headDim, 'attention');
  const projected = f32(batch * hidden, 'projected');
  const middle = f32(batch * hidden, 'after attention');
  const gateUp = f32(batch * 2 * inner, 'gate and up');
  const act = f32(batch * inner, 'activation');
  const rotary = createBufferFrom(device, rotaryTable(headDim, shape.ropeTheta, shape.context), GPUBufferUsage.STORAGE, 'layer rotary');
  scratch.push(rotary);
  const decodeScratch = createDecodeScratch(device, plan);
  scratch.push(decodeScratch.partialOut, decodeScratch.partialStats);
  const gemv = (name: keyof typeof products, x: GPUBuffer, y: GPUBuffer) =>
    prepareGemv(device, 'dense', products[name], planGemv(products[name], 'dense'), { weights: buffers.weights[name], x, y });
  const steps: Prepared[] = [
    smallOp(device, 'rmsnorm', shape, hidden, 0, [buffers.x, buffers.norms.attention, normed]),
    gemv('qkv', normed, qkv),
    smallOp(device, 'ropeAppend', shape, 0, batch * (heads + 2 * kvHeads) * (headDim / 2), [qkv, buffers.qkvBias, q, rotary, buffers.k, buffers.v]),
    prepareDecode(device, plan, { q, k: buffers.k, v: buffers.v, out: attended, ...decodeScratch }),
    gemv('o', attended, projected),
    smallOp(device, 'add', shape, hidden, batch * hidden, [buffers.x, projected, middle]),
    smallOp(device, 'rmsnorm', shape, hidden, 0, [middle, buffers.norms.mlp, normed]),
    gemv('gateUp', normed, gateUp),
    smallOp(device, 'siluMul', shape, inner, batch * inner, [gateUp, act]),
    gemv('down', act, projected),
    smallOp(device, 'add', shape, hidden, batch * hidden, [middle, projected, buffers.out]),
  ];
  return inSequence(steps, { out: buffers.out }, scratch);
}

/** The output head: logits (batch, vocab) f32 from x (batch, hidden) f32, through the final norm and the head's weights. */
export function prepareOutputHead(
  device: GPUDevice,
  shape: LayerShape,
  vocab: number,
  buffers: { x: GPUBuffer; norm: GPUBuffer; weights: GPUBuffer; logits: GPUBuffer },
): Prepared<{ logits: GPUBuffer }> {
  const normed = createEmptyBuffer(device, 4 * shape.batch * shape.hidden, GPUBufferUsage.STORAGE, 'head normed');
  const product = headProduct(shape, vocab);
  const steps: Prepared[] = [
    smallOp(device, 'rmsnorm', shape, shape.hidden, 0, [buffers.x, buffers.norm, normed]),
    prepareGemv(device, 'dense', product, planGemv(product, 'dense'), { weights: buffers.weights, x: normed, y: buffers.logits }),
  ];
  return inSequence(steps, { logits: buffers.logits }, [normed]);
}


/** Seeds of the hashed contents (gpu/hashed.ts): each product's weights, the output head's, and the two caches. */
export const SEEDS = { qkv: 11, o: 12, gateUp: 13, down: 14, head: 15, k: 21, v: 22 } as const;

/** The power of two nearest 1/√d_in: hashed weights (about ±0.58 spread) times it keep each product's outputs near 1. */
export const weightScale = (dIn: number) => 2 ** -Math.round(Math.log2(Math.sqrt(dIn)));

/**
 * Fills a layer's weights and caches with hashed values on the GPU (fillHashed: exact in f16, recomputed on the
 * CPU by hashedRow and hashedPast). Needs every product's d_out to be a multiple of 8, so Wᵀ has no padding.
 */
export function fillLayer(device: GPUDevice, shape: LayerShape, buffers: Pick<LayerBuffers, 'weights' | 'k' | 'v'>): void {
  const products = layerProducts(shape);
  for (const name of Object.keys(products) as (keyof typeof products)[]) {
    const { dIn, dOut } = products[name];
    if (dOut % 8 !== 0) throw new RangeError(`fillLayer: ${name} has d_out ${dOut}, not a multiple of 8`);
    fillHashed(device, buffers.weights[name], dIn * dOut, shape.weights, SEEDS[name], weightScale(dIn));
  }
  const elements = cacheBytes(shape) / bytesPerWeight[shape.kv];
  fillHashed(device, buffers.k, elements, shape.kv, SEEDS.k);
  fillHashed(device, buffers.v, elements, shape.kv, SEEDS.v);
}

/** Row i of a hashed Wᵀ (d_out values), as fillLayer put it on the GPU. */
export function hashedRow(product: GemvShape, seed: number, i: number): Float32Array {
  return hashValues(seed, i * product.dOut, product.dOut, weightScale(product.dIn));
}

/** A past position of a hashed cache (headDim values), as fillLayer put it on the GPU. */
export function hashedPast(shape: LayerShape, cache: 'k' | 'v', b: number, kvHead: number, t: number): Float32Array {
  return hashValues(SEEDS[cache], ((b * shape.kvHeads + kvHead) * (shape.context + 1) + t) * shape.headDim, shape.headDim);
}
