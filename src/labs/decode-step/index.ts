// A model's decode step, measured: one decoder layer of a catalogue model at its real shapes (random weights), its
// kernels chained in one pass (src/kernels/layer), and the output head apart; tokens a second = B / (L × layer +
// head), set against the speed of light of the same step on this device (weights and cache over bandwidth).
import { MODELS } from '../../data/models';
import { subgroupMinSizeOf } from '../../kernels/decode/decode';
import { fillHashed } from '../../kernels/gpu/hashed';
import { bytesPerWeight } from '../../kernels/gemv/cost';
import { Random } from '../../kernels/gpu/random';
import type { GpuContext, Prepared } from '../../kernels/gpu/types';
import {
  cacheBytes,
  decodePlanOf,
  fillLayer,
  hashedPast,
  hashedRow,
  headCost,
  headProduct,
  layerCost,
  layerDispatches,
  layerProducts,
  layerRefusal,
  prepareDecodeLayer,
  prepareOutputHead,
  SEEDS,
  weightScale,
  type LayerBuffers,
  type LayerShape,
} from '../../kernels/layer/layer';
import { decodeLayerReference, matVec, rmsNorm } from '../../kernels/layer/layer.reference';
import type { ModelConfig } from '../../schemas/model';
import type { RunRecord } from '../../schemas/results';
import { checkOutput, pause, Resources, runOnce, timeRuns } from '../harness';
import { makeRecord, memoryGBps, unitGflops } from '../record';
import { timePlot } from '../specs';
import type { Lab, LabContext, SettingsOf } from '../types';
import { runsOf } from '../verdict';

/** A layer small enough for a software GPU: the shapes of a Llama layer, scaled down. */
const TINY: ModelConfig = {
  id: 'tiny',
  name: 'a tiny Llama-shaped model',
  source: { url: 'https://huggingface.co/meta-llama/Meta-Llama-3-8B/blob/main/config.json', note: 'Llama-3-8B scaled down, for quick runs.' },
  architecture: 'decoder',
  hiddenSize: 256,
  intermediateSize: 512,
  layers: 4,
  heads: 8,
  kvHeads: 2,
  headDim: 32,
  vocabSize: 1024,
  maxPositions: 8192,
  tiedEmbeddings: false,
  norm: 'rmsnorm',
  normsPerLayer: 2,
  activation: 'silu',
  gated: true,
  positions: 'rope',
  ropeTheta: 500000,
  bias: { qkv: false, output: false, mlp: false },
  publishedParams: 1,
};

/** Why the decode step cannot run a model's layer (it builds the Llama family's), or null. */
export function unsupported(model: ModelConfig): string | null {
  if (model.architecture !== 'decoder') return 'it is an encoder, with no decode step';
  if (model.experts) return 'its MLP is a mixture of experts, which this step does not route';
  if (model.norm !== 'rmsnorm' || model.normsPerLayer !== 2) return 'its norms are not two RMSNorms a layer';
  if (!model.gated || model.activation !== 'silu') return 'its MLP is not a SiLU-gated one';
  if (model.positions !== 'rope') return 'its positions are not rotary';
  if (model.bias.output || model.bias.mlp) return 'its output or MLP products carry a bias';
  return null;
}

const SUPPORTED = [TINY, ...MODELS.filter((model) => unsupported(model) === null)];
const MAX_POINTS = 8;
/**
 * Layers a pass chains, each with its own weights and cache, until they hold this much: so weights smaller than a
 * large GPU's L2 (50 MB on an H100) are read from memory, as a model's would be with its other layers in between.
 */
const WORKING_SET_BYTES = 256 * 1024 * 1024;
const MAX_COPIES = 4;
const SEED = 8;
/** Against the largest output: f32 sums in another order, and the new K and V rounded to f16 where the cache is. */
const TOLERANCE = { f32: 1e-4, f16: 2e-3 };
/** Logits of the output head checked against the CPU: the first, the last and some between. */
const HEAD_CHECKED = 16;

const params = [
  {
    name: 'model',
    label: 'Model',
    kind: 'choice',
    default: 'llama-3-8b',
    choices: SUPPORTED.map((model) => ({ value: model.id, label: model.id === 'tiny' ? 'Tiny (Llama-shaped, for a quick run)' : model.name })),
  },
  { name: 'batch', label: 'Sequences (B)', kind: 'int', default: 1, min: 1, max: 4, help: 'Sequences decoded together, 1 to 4.' },
  { name: 'context', label: 'Context (S)', kind: 'list', integer: true, default: '4096', min: 0, max: 1 << 20, maxLength: MAX_POINTS, unit: 'tokens', help: 'Tokens already in each sequence\'s cache.' },
  { name: 'weights', label: 'Weights', kind: 'choice', default: 'f16', choices: [{ value: 'f16', label: 'f16' }, { value: 'f32', label: 'f32' }] },
  { name: 'kv', label: 'KV cache', kind: 'choice', default: 'f16', choices: [{ value: 'f16', label: 'f16' }, { value: 'f32', label: 'f32' }] },
] as const;

export type DecodeStepSettings = SettingsOf<typeof params>;

const modelOf = (settings: Pick<DecodeStepSettings, 'model'>) => SUPPORTED.find((model) => model.id === settings.model)!;

export function shapeOf(settings: DecodeStepSettings, context: number): LayerShape {
  const model = modelOf(settings);
  return {
    batch: settings.batch,
    hidden: model.hiddenSize,
    inner: model.intermediateSize,
    heads: model.heads,
    kvHeads: model.kvHeads,
    headDim: model.headDim,
    context,
    weights: settings.weights,
    kv: settings.kv,
    qkvBias: model.bias.qkv,
    ropeTheta: model.ropeTheta ?? 10000,
  };
}

/** Bytes one layer holds on the GPU: its weights and its two caches. */
function layerBytes(shape: LayerShape): number {
  return Object.values(layerProducts(shape)).reduce((sum, p) => sum + p.dIn * p.dOut * bytesPerWeight[p.weights], 0) + 2 * cacheBytes(shape);
}

const copiesOf = (shape: LayerShape, layers: number) => Math.max(1, Math.min(MAX_COPIES, layers, Math.ceil(WORKING_SET_BYTES / layerBytes(shape))));

function validate(settings: DecodeStepSettings, gpu: Pick<GpuContext, 'limits'>): string | null {
  const model = modelOf(settings);
  for (const context of settings.context) {
    const refusal = layerRefusal(gpu.limits, shapeOf(settings, context), model.vocabSize, model.name);
    if (refusal) return `At a context of ${context}: ${refusal} Try f16 weights, a shorter context or a smaller model.`;
  }
  return null;
}

/** The ideal time of a point: the larger of its bytes over the bandwidth and its FLOPs over the FMA rate. */
function idealSeconds(cost: { flops: number; bytes: number }, ctx: Pick<LabContext, 'ceilings'>): number {
  return Math.max(cost.bytes / (memoryGBps(ctx.ceilings) * 1e9), cost.flops / (unitGflops(ctx.ceilings, 'fp32') * 1e9));
}

/** The buffers of one layer (weights and caches hashed on the GPU), chained after `x`. */
function layerBuffers(gpu: Resources, ctx: LabContext, shape: LayerShape, x: GPUBuffer, norms: { attention: GPUBuffer; mlp: GPUBuffer }, qkvBias: GPUBuffer, n: number): LayerBuffers {
  const products = layerProducts(shape);
  const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC;
  const weights = Object.fromEntries(
    (Object.keys(products) as (keyof typeof products)[]).map((name) => [name, gpu.empty(products[name].dIn * products[name].dOut * bytesPerWeight[shape.weights], GPUBufferUsage.STORAGE, `layer ${n} ${name} weights`)]),
  ) as LayerBuffers['weights'];
  const buffers: LayerBuffers = {
    x,
    out: gpu.empty(4 * shape.batch * shape.hidden, storage, `layer ${n} output`),
    weights,
    norms,
    qkvBias,
    k: gpu.empty(cacheBytes(shape), GPUBufferUsage.STORAGE, `layer ${n} K cache`),
    v: gpu.empty(cacheBytes(shape), GPUBufferUsage.STORAGE, `layer ${n} V cache`),
  };
  fillLayer(ctx.gpu.device, shape, buffers);
  return buffers;
}

async function* run(ctx: LabContext, settings: DecodeStepSettings): AsyncIterable<RunRecord> {
  const { device } = ctx.gpu;
  const model = modelOf(settings);
  const contexts = [...new Set(settings.context)].sort((a, b) => a - b);
  const total = 2 * contexts.length;
  const version = ctx.gpu.features.has('subgroups') ? 'subgroup' : 'workgroup';
  let done = 0;
  for (const context of contexts) {
    const shape = shapeOf(settings, context);
    const copies = copiesOf(shape, model.layers);
    const random = new Random(SEED + context);
    const x = random.fill(new Float32Array(shape.batch * shape.hidden), { kind: 'gaussian', mean: 0, std: 1 });
    const normValues = { attention: random.fill(new Float32Array(shape.hidden), { kind: 'uniform', low: 0.5, high: 1.5 }), mlp: random.fill(new Float32Array(shape.hidden), { kind: 'uniform', low: 0.5, high: 1.5 }) };
    const products = layerProducts(shape);
    const bias = shape.qkvBias ? random.fill(new Float32Array(products.qkv.dOut), { kind: 'gaussian', mean: 0, std: 0.5 }) : new Float32Array(products.qkv.dOut);
    const what = `${model.name} at a context of ${context}`;
    const gpu = new Resources(ctx, 'decode-step');
    try {
      // The layer: `copies` of it chained, each reading the one before's output.
      ctx.progress(done++, total, `a layer at S=${context}`);
      const norms = { attention: gpu.from(normValues.attention, GPUBufferUsage.STORAGE, 'attention norm'), mlp: gpu.from(normValues.mlp, GPUBufferUsage.STORAGE, 'MLP norm') };
      const qkvBias = gpu.from(bias, GPUBufferUsage.STORAGE, 'qkv bias');
      const plan = decodePlanOf(shape, version, subgroupMinSizeOf(device));
      let input = gpu.from(x, GPUBufferUsage.STORAGE, 'input');
      const layers: { buffers: LayerBuffers; kernel: Prepared }[] = [];
      for (let n = 0; n < copies; n++) {
        const buffers = layerBuffers(gpu, ctx, shape, input, norms, qkvBias, n);
        layers.push({ buffers, kernel: gpu.own(prepareDecodeLayer(device, shape, buffers, plan)) });
        input = buffers.out;
      }
      const encode = (pass: GPUComputePassEncoder) => layers.forEach((layer) => layer.kernel.encode(pass));
      const out = await runOnce(ctx, encode, layers[0]!.buffers.out, 4 * x.length, what);
      await pause(ctx.signal);
      const expected = await decodeLayerReference(shape, {
        x,
        row: (name, i) => hashedRow(products[name], SEEDS[name], i),
        norms: normValues,
        qkvBias: bias,
        past: (cache, b, kvHead, t) => hashedPast(shape, cache, b, kvHead, t),
        pause: () => pause(ctx.signal),
      });
      const largest = expected.reduce((most, value) => Math.max(most, Math.abs(value)), 0);
      const check = checkOutput(out, expected, { tolerance: TOLERANCE[shape.kv], floor: largest }, `one layer of ${what}`);
      const layerTiming = await timeRuns(ctx, check, `One layer of ${what}`, encode, copies);
      const cost = layerCost(shape);
      const common = { model: model.id, batch: shape.batch, context, weights: shape.weights, kv: shape.kv };
      yield makeRecord({
        lab: 'decode-step',
        variant: 'layer',
        params: common,
        timing: layerTiming,
        flops: cost.flops,
        bytes: cost.bytes,
        ceilings: ctx.ceilings,
        check,
        unit: 'fp32',
        extraDispatches: layerDispatches(shape) - 1,
        extra: { layersChained: copies, idealSeconds: idealSeconds(cost, ctx) },
      });

      // The output head: the final norm and the vocabulary product, checked on a few logits.
      ctx.progress(done++, total, `the output head at S=${context}`);
      const head = headProduct(shape, model.vocabSize);
      const headWeights = gpu.empty(head.dIn * head.dOut * bytesPerWeight[shape.weights], GPUBufferUsage.STORAGE, 'head weights');
      fillHashed(device, headWeights, head.dIn * head.dOut, shape.weights, SEEDS.head, weightScale(head.dIn));
      const logits = gpu.empty(4 * shape.batch * model.vocabSize, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'logits');
      const headKernel = gpu.own(prepareOutputHead(device, shape, model.vocabSize, { x: layers.at(-1)!.buffers.out, norm: norms.mlp, weights: headWeights, logits }));
      const headOut = await runOnce(ctx, headKernel.encode, logits, 4 * shape.batch * model.vocabSize, `the output head of ${what}`);
      // Its input is the last chained layer's output, as the GPU computed it.
      const lastOut = copies === 1 ? out : await runOnce(ctx, () => {}, layers.at(-1)!.buffers.out, 4 * x.length, 'the last layer');
      const columns = Array.from({ length: HEAD_CHECKED }, (_, i) => Math.round((i * (model.vocabSize - 1)) / (HEAD_CHECKED - 1)));
      const normed = rmsNorm(lastOut, normValues.mlp, shape.batch, shape.hidden);
      const all = await matVec(normed, shape.batch, shape.hidden, columns.length, (i) => {
        const row = hashedRow(head, SEEDS.head, i);
        return columns.map((c) => row[c]!);
      }, () => pause(ctx.signal));
      const actual = Array.from({ length: shape.batch }, (_, b) => columns.map((c) => headOut[b * model.vocabSize + c]!)).flat();
      const headLargest = all.reduce((most, value) => Math.max(most, Math.abs(value)), 0);
      const headCheck = checkOutput(actual, all, { tolerance: TOLERANCE.f32, floor: headLargest }, `the output head of ${what}`);
      const headTiming = await timeRuns(ctx, headCheck, `The output head of ${what}`, headKernel.encode);
      const perToken = headCost(shape, model.vocabSize);
      const stepSeconds = model.layers * layerTiming.seconds.median + headTiming.seconds.median;
      const idealStep = model.layers * idealSeconds(cost, ctx) + idealSeconds(perToken, ctx);
      yield makeRecord({
        lab: 'decode-step',
        variant: 'output head',
        params: common,
        timing: headTiming,
        flops: perToken.flops,
        bytes: perToken.bytes,
        ceilings: ctx.ceilings,
        check: headCheck,
        unit: 'fp32',
        extraDispatches: headKernel.dispatches - 1,
        extra: {
          layers: model.layers,
          stepSeconds,
          tokensPerSecond: shape.batch / stepSeconds,
          speedOfLightTokensPerSecond: shape.batch / idealStep,
          fractionOfSpeedOfLight: idealStep / stepSeconds,
        },
      });
    } finally {
      gpu.destroy();
    }
  }
  ctx.progress(total, total, 'done');
}

/** The whole model's tokens a second at the longest context measured, against its speed of light on this device. */
function verdict(records: RunRecord[], subject: string): string | null {
  for (const run of runsOf(records, ['context'])) {
    const head = run.filter((record) => record.variant === 'output head').at(-1);
    const layer = run.find((record) => record.variant === 'layer' && record.params['context'] === head?.params['context']);
    if (!head || !layer) continue;
    const x = head.extra!;
    const model = SUPPORTED.find((m) => m.id === head.params['model']);
    const us = (seconds: number) => `${(seconds * 1e6).toFixed(seconds < 1e-4 ? 1 : 0)} µs`;
    return (
      `${subject} ran decode steps of ${model?.name ?? head.params['model']} at ${x['tokensPerSecond']!.toFixed(x['tokensPerSecond']! < 10 ? 2 : 0)} tokens a second ` +
      `(${head.params['batch']} sequence${head.params['batch'] === 1 ? '' : 's'}, ${head.params['context']} tokens of context, ${head.params['weights']} weights): ` +
      `${(100 * x['fractionOfSpeedOfLight']!).toFixed(0)}% of its speed of light here, ${x['speedOfLightTokensPerSecond']!.toFixed(0)} tokens a second. ` +
      `One of its ${x['layers']} layers took ${us(layer.seconds.median)} (its bytes alone: ${us(layer.extra!['idealSeconds']!)}), the output head ${us(head.seconds.median)}.`
    );
  }
  return null;
}

export const decodeStep: Lab<typeof params> = {
  id: 'decode-step',
  title: 'A decode step, measured against the speed of light',
  description:
    'Runs one decoder layer of a real model at its real shapes, with random weights, the way an engine decodes one ' +
    'token: RMSNorm, the fused Q, K and V product, rotary positions and the KV-cache append, attention over the cache, ' +
    'the output product, a residual add, RMSNorm, the fused gate-and-up product, SiLU, the down product and the second ' +
    'residual add, in one pass on this notebook\'s own kernels. The output head (final norm and the vocabulary product) ' +
    'is timed apart. A whole step is the layer times the model\'s layers plus the head, and tokens a second are the ' +
    'sequences over that; the speed of light is the same step\'s bytes over this device\'s measured bandwidth. Each ' +
    'layer\'s output, and some of the head\'s logits, are checked against the CPU first. Mixtures of experts, GELU MLPs ' +
    'and biased output products are not built; those models are not offered.',
  params,
  presets: [
    { label: 'Llama-3-8B, one sequence, 4K and 32K of context', params: { model: 'llama-3-8b', batch: 1, context: '4096, 32768', weights: 'f16', kv: 'f16' } },
    { label: 'Llama-3-8B, four sequences', params: { model: 'llama-3-8b', batch: 4, context: '4096', weights: 'f16', kv: 'f16' } },
    { label: 'Llama-2-7B (every head its own KV) at 4K and 32K of context', params: { model: 'llama-2-7b', batch: 1, context: '4096, 32768', weights: 'f16', kv: 'f16' } },
  ],
  quick: { model: 'tiny', batch: 2, context: '37', weights: 'f16', kv: 'f16' },
  validate,
  cost(settings) {
    const model = modelOf(settings);
    return settings.context.flatMap((context) => {
      const shape = shapeOf(settings, context);
      const copies = copiesOf(shape, model.layers);
      return [
        { ...layerCost(shape), unit: 'fp32' as const, extraDispatches: layerDispatches(shape) - 1, runsPerPass: copies },
        { ...headCost(shape, model.vocabSize), unit: 'fp32' as const, extraDispatches: 1 },
      ];
    });
  },
  run,
  verdict,
  figures: {
    layersChained: 'Layers chained in a timed pass',
    idealSeconds: 'Its bytes over the bandwidth (s)',
    layers: 'Layers of the model',
    stepSeconds: 'A whole step: layers × layer + head (s)',
    tokensPerSecond: 'Tokens a second',
    speedOfLightTokensPerSecond: 'Speed of light (tokens a second)',
    fractionOfSpeedOfLight: 'Fraction of the speed of light',
  },
  plots: [
    timePlot('Time of one layer and of the output head against context, each with its bound', { field: 'params.context', label: 'context S (tokens)' }),
    {
      id: 'tokens',
      title: 'Tokens a second, measured, and the speed of light (dashed)',
      x: { field: 'params.context', label: 'context S (tokens)', log: true },
      y: { field: 'extra.tokensPerSecond', label: 'tokens a second', log: true },
      variants: ['output head'],
      bound: 'extra.speedOfLightTokensPerSecond',
    },
  ],
};
