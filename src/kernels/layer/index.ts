// One decoder layer's decode step, and the output head after the last layer, on the kernel interface
// (src/kernels/family.ts). The layer (layer.ts): RMSNorm, the fused QKV product, rotary positions and the KV append,
// attention over the cache, the output product and a residual add, RMSNorm, the fused gate-and-up product, SiLU·up,
// the down product and a second residual add. Versions: attention's two kernels (src/kernels/decode: 1 workgroup,
// 2 subgroup, which needs subgroups), each with the cache in f32 or in f16; knobs: attention's rows a lane loads a
// step and splits of the context. Weights and caches are hashed values filled on the GPU (src/kernels/gpu/hashed.ts),
// so the reference recomputes them a row at a time and never holds a layer. A shape may chain several layers, each
// its own weights and cache and fed by the one before, so a layer smaller than the L2 is still read from memory.
import type { KernelFamily, KernelVersion, Knobs } from '../family';
import { knobsOf } from '../family';
import { decodeRefusal, subgroupMinSizeOf, type DecodeVersion, type KvDtype } from '../decode/decode';
import { bytesPerWeight, type WeightType } from '../gemv/cost';
import { gemvDispatches, planGemv } from '../gemv/gemv';
import { fillHashed } from '../gpu/hashed';
import { firstRefusal } from '../gpu/limits';
import type { Random } from '../gpu/random';
import {
  cacheBytes,
  decodePlanOf,
  fillLayer,
  hashedPast,
  hashedRow,
  headCost,
  headProduct,
  headRefusal,
  layerCost,
  layerDispatches,
  layerProducts,
  layerRefusal,
  MAX_SEQUENCES,
  prepareDecodeLayer,
  prepareOutputHead,
  SEEDS,
  weightScale,
  type LayerBuffers,
  type LayerShape,
} from './layer';
import { decodeLayerReference, matVec, rmsNorm } from './layer.reference';

/** A decode step of a model's layers and its head; the cache's type is the layer version's element. */
export interface DecodeStepShape extends Omit<LayerShape, 'kv'> {
  /** The vocabulary: the output head's width. */
  vocab: number;
  /** Layers one run of the layer family chains (the head ignores it): 1 to 4. */
  chained: number;
}

/** The layer's inputs made on the CPU (its weights and caches are hashed on the GPU), and the cache's type. */
export interface LayerInputs {
  /** (batch, hidden) f32 */
  x: Float32Array;
  /** (hidden) f32 each: the norms before attention and before the MLP. */
  norms: { attention: Float32Array; mlp: Float32Array };
  /** ((heads + 2·kvHeads)·headDim) f32: zeros where the model has no bias. */
  qkvBias: Float32Array;
  kv: KvDtype;
}

/** The head's input rows and final norm (its weights are hashed on the GPU). */
export interface HeadInputs {
  /** (batch, hidden) f32 */
  x: Float32Array;
  /** (hidden) f32 */
  norm: Float32Array;
}

/** Knobs, each list's first the default: attention's rows a lane loads a step, and splits of the context (0: its plan's choice). */
const SPLITS = [0, 1, 16] as const;

/** The layer's products in the reader's words. */
const PRODUCT_WORDS = { qkv: 'query, key and value', o: 'attention output', gateUp: 'gate and up', down: 'down' } as const;

export const layerVersions = [
  { name: 'workgroup-f32', label: 'one layer, attention through workgroup memory, f32 cache', unit: 'fp32', element: 'f32', knobs: { rowsPerStep: [2, 1, 4], splits: SPLITS } },
  { name: 'workgroup-f16', label: 'one layer, attention through workgroup memory, f16 cache', unit: 'fp32', element: 'f16', knobs: { rowsPerStep: [4, 1, 2], splits: SPLITS } },
  { name: 'subgroup-f32', label: 'one layer, attention by subgroup shuffles, f32 cache', unit: 'fp32', element: 'f32', knobs: { rowsPerStep: [2, 1, 4], splits: SPLITS } },
  { name: 'subgroup-f16', label: 'one layer, attention by subgroup shuffles, f16 cache', unit: 'fp32', element: 'f16', knobs: { rowsPerStep: [4, 1, 2], splits: SPLITS } },
] as const satisfies readonly KernelVersion[];

/** The layer version that runs attention's `kernel` over a cache of `kv`. */
export const layerVersionName = (kernel: DecodeVersion, kv: KvDtype) => `${kernel}-${kv}`;

const kernelOf = (version: KernelVersion): DecodeVersion => (version.name.startsWith('subgroup') ? 'subgroup' : 'workgroup');
const layerShapeOf = (shape: DecodeStepShape, kv: KvDtype): LayerShape => ({ ...shape, kv });
const planOf = (shape: DecodeStepShape, version: KernelVersion, knobs: Knobs, subgroupMinSize: number) =>
  decodePlanOf(layerShapeOf(shape, version.element), kernelOf(version), subgroupMinSize, knobsOf(version, knobs));

/** Against the largest output: f32 sums in another order, and the new K and V rounded to f16 where the cache is. */
const TOLERANCE = { f32: 1e-4, f16: 2e-3 };
/** The subgroup size a refusal assumes where the device does not say (WebGPU's smallest). */
const ASSUMED_SUBGROUP = 4;
const MAX_CHAINED = 4;
/** Logits of the output head checked against the CPU in each sequence: the first, the last and some between. */
const HEAD_CHECKED = 16;

/** Lets a page breathe between rows of a long reference. */
const breathe = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
function largestOf(values: ArrayLike<number>): number {
  let most = 0;
  for (let i = 0; i < values.length; i++) most = Math.max(most, Math.abs(values[i]!));
  return most;
}

const weightTypeOf = (bits: number | undefined): WeightType => {
  if (bits === undefined || bits === 16) return 'f16';
  if (bits === 32) return 'f32';
  throw new Error(`weights and kv take 16 or 32 (bits); received ${bits}`);
};

/** Copy `n` of a chain's buffers as the layer reads them: copy 0 reads the input, each other the copy before's output. */
function layerBuffersOf(buffers: Record<string, GPUBuffer>, n: number): LayerBuffers {
  const of = (name: string) => buffers[`${name} ${n}`]!;
  return {
    x: n === 0 ? buffers['x']! : buffers[`out ${n - 1}`]!,
    out: of('out'),
    weights: { qkv: of('qkv'), o: of('o'), gateUp: of('gateUp'), down: of('down') },
    norms: { attention: buffers['attention norm']!, mlp: buffers['MLP norm']! },
    qkvBias: buffers['qkv bias']!,
    k: of('k'),
    v: of('v'),
  };
}

const EXAMPLES: DecodeStepShape[] = [
  { batch: 1, hidden: 64, inner: 96, heads: 4, kvHeads: 2, headDim: 16, context: 37, weights: 'f32', qkvBias: false, ropeTheta: 10000, vocab: 200, chained: 1 },
  // Three sequences, a bias on q, k and v, two layers chained (the first one's output is checked).
  { batch: 3, hidden: 64, inner: 96, heads: 4, kvHeads: 2, headDim: 16, context: 37, weights: 'f16', qkvBias: true, ropeTheta: 10000, vocab: 200, chained: 2 },
  // One KV head for four query heads, a longer context.
  { batch: 2, hidden: 64, inner: 96, heads: 4, kvHeads: 1, headDim: 16, context: 100, weights: 'f32', qkvBias: false, ropeTheta: 10000, vocab: 200, chained: 1 },
  // Eight sequences, where serving happens, at an odd context.
  { batch: 8, hidden: 64, inner: 96, heads: 4, kvHeads: 2, headDim: 16, context: 21, weights: 'f16', qkvBias: false, ropeTheta: 10000, vocab: 200, chained: 1 },
];

function shapeOf(fields: Readonly<Record<string, number>>): DecodeStepShape {
  const { hidden, inner, heads, headDim, context, batch = 1, kvHeads = heads, vocab = 32000, chained = 1, weights, qkvBias = 0, ropeTheta = 500000 } = fields;
  if (!hidden || !inner || !heads || !headDim || context === undefined) {
    throw new Error('a decode step takes hidden, inner, heads, headDim and context, and batch, kvHeads, vocab, chained, weights (16 or 32 bits), qkvBias (0 or 1) and ropeTheta');
  }
  return { batch, hidden, inner, heads, kvHeads: kvHeads!, headDim, context, weights: weightTypeOf(weights), qkvBias: qkvBias === 1, ropeTheta, vocab, chained };
}

export const layer: KernelFamily<DecodeStepShape, LayerInputs> = {
  id: 'layer',
  versions: layerVersions,
  examples: EXAMPLES,
  shapeOf,
  inputs(shape, random: Random, version) {
    const x = random.fill(new Float32Array(shape.batch * shape.hidden), { kind: 'gaussian', mean: 0, std: 1 });
    const norms = { attention: random.fill(new Float32Array(shape.hidden), { kind: 'uniform', low: 0.5, high: 1.5 }), mlp: random.fill(new Float32Array(shape.hidden), { kind: 'uniform', low: 0.5, high: 1.5 }) };
    const width = layerProducts(layerShapeOf(shape, version.element)).qkv.dOut;
    const qkvBias = shape.qkvBias ? random.fill(new Float32Array(width), { kind: 'gaussian', mean: 0, std: 0.5 }) : new Float32Array(width);
    return { x, norms, qkvBias, kv: version.element };
  },
  buffers(alloc, shape, inputs, version) {
    const layerShape = layerShapeOf(shape, version.element);
    const products = layerProducts(layerShape);
    const buffers: Record<string, GPUBuffer> = {
      x: alloc.from(inputs.x, GPUBufferUsage.STORAGE, 'input'),
      'attention norm': alloc.from(inputs.norms.attention, GPUBufferUsage.STORAGE, 'attention norm'),
      'MLP norm': alloc.from(inputs.norms.mlp, GPUBufferUsage.STORAGE, 'MLP norm'),
      'qkv bias': alloc.from(inputs.qkvBias, GPUBufferUsage.STORAGE, 'qkv bias'),
    };
    // Per layer n of the chain: its output (batch, hidden) f32, its weights (Wᵀ, hashed) and its K and V caches.
    for (let n = 0; n < shape.chained; n++) {
      buffers[`out ${n}`] = alloc.empty(4 * shape.batch * shape.hidden, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, `layer ${n} output`);
      for (const name of Object.keys(products) as (keyof typeof products)[]) {
        buffers[`${name} ${n}`] = alloc.empty(products[name].dIn * products[name].dOut * bytesPerWeight[shape.weights], GPUBufferUsage.STORAGE, `layer ${n} ${name} weights`);
      }
      buffers[`k ${n}`] = alloc.empty(cacheBytes(layerShape), GPUBufferUsage.STORAGE, `layer ${n} K cache`);
      buffers[`v ${n}`] = alloc.empty(cacheBytes(layerShape), GPUBufferUsage.STORAGE, `layer ${n} V cache`);
      fillLayer(alloc.device, layerShape, layerBuffersOf(buffers, n));
    }
    return buffers;
  },
  /** One row a sequence, (hidden), of the first layer of the chain; every sequence is checked. */
  rows: (shape) => ({ count: shape.batch, length: shape.hidden, checked: Array.from({ length: shape.batch }, (_, b) => b) }),
  async reference(inputs, shape, rows) {
    const layerShape = layerShapeOf(shape, inputs.kv);
    const products = layerProducts(layerShape);
    const out = await decodeLayerReference(layerShape, {
      x: inputs.x,
      row: (name, i) => hashedRow(products[name], SEEDS[name], i),
      norms: inputs.norms,
      qkvBias: inputs.qkvBias,
      past: (cache, b, kvHead, t) => hashedPast(layerShape, cache, b, kvHead, t),
      pause: breathe,
    });
    return Float64Array.from(rows.flatMap((b) => Array.from(out.subarray(b * shape.hidden, (b + 1) * shape.hidden))));
  },
  tolerance: (version, expected) => ({ tolerance: TOLERANCE[version.element], floor: largestOf(expected) }),
  cost: (shape, version) => {
    const layerShape = layerShapeOf(shape, version.element);
    return { ...layerCost(layerShape), dispatches: layerDispatches(layerShape), runs: shape.chained };
  },
  refusal(device, shape, version, knobs) {
    if (kernelOf(version) === 'subgroup' && !device.features.has('subgroups')) return 'Its attention sums with subgroup shuffles, and this device offers no subgroups.';
    if (!Number.isInteger(shape.chained) || shape.chained < 1 || shape.chained > MAX_CHAINED) return `A run chains 1 to ${MAX_CHAINED} layers; ${shape.chained} is not that.`;
    const layerShape = layerShapeOf(shape, version.element);
    const narrow = Object.entries(layerProducts(layerShape)).find(([, product]) => product.dOut % 8 !== 0);
    if (narrow) return `Its hashed weights fill rows of whole multiples of 8; the ${PRODUCT_WORDS[narrow[0] as keyof typeof PRODUCT_WORDS]} product is ${narrow[1].dOut} wide.`;
    const refusal = layerRefusal(device.limits, layerShape, 'this layer');
    if (refusal) return refusal;
    try {
      return decodeRefusal(device.limits, planOf(shape, version, knobs, device.subgroupMinSize ?? ASSUMED_SUBGROUP), 'this layer');
    } catch (error) {
      return (error as Error).message;
    }
  },
  prepare(device, shape, buffers, version, knobs) {
    const plan = planOf(shape, version, knobs, subgroupMinSizeOf(device));
    const layerShape = layerShapeOf(shape, version.element);
    const chain = Array.from({ length: shape.chained }, (_, n) => prepareDecodeLayer(device, layerShape, layerBuffersOf(buffers, n), plan));
    return {
      encode: (pass) => chain.forEach((one) => one.encode(pass)),
      output: { buffer: buffers['out 0']!, element: 'f32' },
      dispatches: chain.reduce((sum, one) => sum + one.dispatches, 0),
      destroy: () => chain.forEach((one) => one.destroy()),
    };
  },
};

/** The logits a check reads, as indices into (batch, vocab): HEAD_CHECKED columns spread over each sequence's. */
function checkedLogits(batch: number, vocab: number): number[] {
  const columns = Array.from({ length: HEAD_CHECKED }, (_, i) => Math.round((i * (vocab - 1)) / (HEAD_CHECKED - 1)));
  return Array.from({ length: batch }, (_, b) => columns.map((c) => b * vocab + c)).flat();
}

export const outputHead: KernelFamily<DecodeStepShape, HeadInputs> = {
  id: 'head',
  versions: [{ name: 'dense', label: 'output head', unit: 'fp32', element: 'f32', knobs: {} }],
  examples: EXAMPLES.slice(0, 2),
  shapeOf,
  inputs: (shape, random: Random) => ({
    x: random.fill(new Float32Array(shape.batch * shape.hidden), { kind: 'gaussian', mean: 0, std: 1 }),
    norm: random.fill(new Float32Array(shape.hidden), { kind: 'uniform', low: 0.5, high: 1.5 }),
  }),
  buffers(alloc, shape, inputs) {
    const product = headProduct(layerShapeOf(shape, 'f32'), shape.vocab);
    const weights = alloc.empty(product.dIn * product.dOut * bytesPerWeight[shape.weights], GPUBufferUsage.STORAGE, 'head weights');
    fillHashed(alloc.device, weights, product.dIn * product.dOut, shape.weights, SEEDS.head, weightScale(product.dIn));
    return {
      x: alloc.from(inputs.x, GPUBufferUsage.STORAGE, 'head input'),
      norm: alloc.from(inputs.norm, GPUBufferUsage.STORAGE, 'final norm'),
      weights,
      logits: alloc.empty(4 * shape.batch * shape.vocab, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'logits'),
    };
  },
  /** The logits (batch, vocab) f32 as rows of one, so a check reads a few of each sequence's rather than all. */
  rows: (shape) => ({ count: shape.batch * shape.vocab, length: 1, checked: checkedLogits(shape.batch, shape.vocab) }),
  async reference(inputs, shape, rows) {
    const product = headProduct(layerShapeOf(shape, 'f32'), shape.vocab);
    const columns = [...new Set(rows.map((row) => row % shape.vocab))];
    const normed = rmsNorm(inputs.x, inputs.norm, shape.batch, shape.hidden);
    const logits = await matVec(normed, shape.batch, shape.hidden, columns.length, (i) => {
      const row = hashedRow(product, SEEDS.head, i);
      return columns.map((c) => row[c]!);
    }, breathe);
    return Float64Array.from(rows, (row) => logits[Math.floor(row / shape.vocab) * columns.length + columns.indexOf(row % shape.vocab)]!);
  },
  tolerance: (_version, expected) => ({ tolerance: TOLERANCE.f32, floor: largestOf(expected) }),
  cost: (shape) => {
    const layerShape = layerShapeOf(shape, 'f32');
    return { ...headCost(layerShape, shape.vocab), dispatches: 1 + gemvDispatches(planGemv(headProduct(layerShape, shape.vocab), 'dense')) };
  },
  refusal: (device, shape) =>
    firstRefusal(
      shape.batch < 1 || shape.batch > MAX_SEQUENCES ? `The output head runs 1 to ${MAX_SEQUENCES} sequences at once; ${shape.batch} is not that.` : null,
      shape.vocab % 8 !== 0 ? `Its hashed weights fill rows of whole multiples of 8; a vocabulary of ${shape.vocab} is not one.` : null,
      headRefusal(device.limits, layerShapeOf(shape, 'f32'), shape.vocab, 'this model'),
    ),
  prepare(device, shape, buffers) {
    const { x, norm, weights, logits } = buffers as Record<'x' | 'norm' | 'weights' | 'logits', GPUBuffer>;
    const head = prepareOutputHead(device, layerShapeOf(shape, 'f32'), shape.vocab, { x, norm, weights, logits });
    return { encode: head.encode, output: { buffer: logits, element: 'f32' }, dispatches: head.dispatches, destroy: head.destroy };
  },
};
