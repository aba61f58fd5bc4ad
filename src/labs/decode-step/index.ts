// A model's decode step, measured: one decoder layer of a catalogue model at its real shapes (random weights), its
// kernels chained in one pass (src/kernels/layer), and the output head apart; tokens a second = B / (L × layer +
// head), set against the speed of light of the same step on this device. Each is judged by the model's op graph
// (src/models/graph.ts): the very ops, FLOPs and bytes that the model's page draws.
import { decode } from '../../kernels/decode/index';
import { bytesPerWeight } from '../../kernels/gemv/cost';
import { gemv } from '../../kernels/gemv/index';
import { layer, layerVersionName, outputHead, type DecodeStepShape } from '../../kernels/layer/index';
import { layerOp, type LayerOpName } from '../../kernels/layer/ops';
import { cacheBytes, headRefusal, layerProducts, layerRefusal, MAX_SEQUENCES, type LayerShape } from '../../kernels/layer/layer';
import { opGraph, type OpNode } from '../../models/graph';
import { speedOfLight } from '../../models/speed';
import type { Ceilings } from '../../schemas/results';
import { timePlot } from '../specs';
import type { ExtraContext, Lab, LabDevice, LabPoint, LabVariant, SettingsOf } from '../types';
import { MODEL_PARAM, modelOf } from './models';
import { KERNEL_OPS, LAYER_KERNELS, verdict, type LayerKernel } from './verdict';

export { unsupported } from './models';

const MAX_POINTS = 8;
/**
 * Layers a pass chains, each with its own weights and cache, until they hold this much: so weights smaller than a
 * large GPU's L2 (50 MB on an H100) are read from memory, as a model's would be with its other layers in between.
 */
const WORKING_SET_BYTES = 256 * 1024 * 1024;
const MAX_COPIES = 4;
const SEED = 8;

const params = [
  MODEL_PARAM,
  { name: 'batch', label: 'Sequences (B)', kind: 'int', default: 1, min: 1, max: MAX_SEQUENCES, help: `Sequences decoded together, 1 to ${MAX_SEQUENCES}.` },
  { name: 'context', label: 'Context (S)', kind: 'list', integer: true, default: '4096', min: 0, max: 1 << 20, maxLength: MAX_POINTS, unit: 'tokens', help: 'Tokens already in each sequence\'s cache.' },
  { name: 'weights', label: 'Weights', kind: 'choice', default: 'f16', choices: [{ value: 'f16', label: 'f16' }, { value: 'f32', label: 'f32' }] },
  { name: 'kv', label: 'KV cache', kind: 'choice', default: 'f16', choices: [{ value: 'f16', label: 'f16' }, { value: 'f32', label: 'f32' }] },
] as const;

export type DecodeStepSettings = SettingsOf<typeof params>;


/** One layer of the model at a context, with the cache's type. */
function layerShapeOf(settings: DecodeStepSettings, context: number): LayerShape {
  const model = modelOf(settings.model);
  const { batch, weights, kv } = settings;
  return { batch, hidden: model.hiddenSize, inner: model.intermediateSize, heads: model.heads, kvHeads: model.kvHeads, headDim: model.headDim, context, weights, kv, qkvBias: model.bias.qkv, ropeTheta: model.ropeTheta ?? 10000 };
}

/** Bytes one layer holds on the GPU: its weights and its two caches. */
function layerBytes(shape: LayerShape): number {
  return Object.values(layerProducts(shape)).reduce((sum, p) => sum + p.dIn * p.dOut * bytesPerWeight[p.weights], 0) + 2 * cacheBytes(shape);
}

function validate(settings: DecodeStepSettings, gpu: LabDevice): string | null {
  const model = modelOf(settings.model);
  for (const context of settings.context) {
    const shape = layerShapeOf(settings, context);
    const refusal = layerRefusal(gpu.limits, shape, model.name) ?? headRefusal(gpu.limits, shape, model.vocabSize, model.name);
    if (refusal) return `At a context of ${context}: ${refusal} Try f16 weights, a shorter context or a smaller model.`;
  }
  return null;
}

/** Each context once, shortest first; a layer run chains copies of the layer up to the working set. */
function points(settings: DecodeStepSettings): LabPoint<DecodeStepShape>[] {
  const model = modelOf(settings.model);
  return [...new Set(settings.context)].sort((a, b) => a - b).map((context) => {
    const { kv, ...shape } = layerShapeOf(settings, context);
    const chained = Math.max(1, Math.min(MAX_COPIES, model.layers, Math.ceil(WORKING_SET_BYTES / layerBytes({ ...shape, kv }))));
    return {
      shape: { ...shape, vocab: model.vocabSize, chained },
      params: { model: model.id, batch: settings.batch, context, weights: settings.weights, kv },
      label: `of ${model.name} at a context of ${context}`,
      seed: SEED + context,
    };
  });
}

/** The model's op graph at a point: what /models/ draws. */
function graphOf(point: LabPoint) {
  const { model, batch, context, weights, kv } = point.params as { model: string; batch: number; context: number; weights: 'f16' | 'f32'; kv: 'f16' | 'f32' };
  return opGraph(modelOf(model), { kind: 'decode', batch, tokens: context, weights, kv });
}

/** A layer's ops (counted once), and the head's: its final norm and vocabulary product, no embedding. */
const LAYER = (node: OpNode) => node.perLayer;
const HEAD = (node: OpNode) => !node.perLayer && node.op !== 'embedding';

/** The FLOPs and bytes of some ops of the model's graph at a point. */
function workOf(point: LabPoint, part: (node: OpNode) => boolean): { flops: number; bytes: number } {
  const nodes = graphOf(point).nodes.filter(part);
  return { flops: nodes.reduce((sum, node) => sum + node.flops, 0), bytes: nodes.reduce((sum, node) => sum + node.bytes, 0) };
}

/** The speed of light of some ops at a point as /models/ computes it: each op's own bound on this device, summed. */
function idealOf(point: LabPoint, part: (node: OpNode) => boolean, ceilings: Ceilings): number {
  return speedOfLight(graphOf(point), ceilings).nodes.filter((bound) => part(bound.node)).reduce((sum, bound) => sum + bound.seconds, 0);
}

/** Runs of each of the layer's kernels in one timed pass (kernelVariants). */
const KERNEL_PASS_RUNS = 8;

/** The layer's shape at a point, its cache's type from the point's parameters. */
const layerAt = (point: LabPoint<DecodeStepShape>): LayerShape => ({ ...point.shape, kv: point.params['kv'] as LayerShape['kv'] });

/**
 * The layer's kernels, each timed alone at the layer's shapes with the layer's own plans: its four products (the
 * GEMV), its attention over the cache (the decode kernel) and its small ops (RMSNorm, the residual add, SiLU·up),
 * each judged by its ops of the model's graph (q, k and v are one product here, as gate and up are). What the layer's
 * time holds besides them is rotary positions with the cache append and the passing from one kernel to the next. A product
 * rotates through copies of its weights as the layer does through copies of itself, so neither reads them from L2;
 * attention rotates through copies of the cache (the decode family's own rule). Each is timed KERNEL_PASS_RUNS times
 * back to back in a pass, as it runs in the layer among the others, so none pays a pass's start and end alone (a
 * residual add timed alone in its own pass took 8.5 µs on an H100, nearly all of it the pass).
 */
function kernelVariants(settings: DecodeStepSettings, kind: 'subgroup' | 'workgroup'): LabVariant[] {
  // The work of one run of a kernel: its ops of the graph, shared among its runs (the two norms are alike, as are the two adds).
  const opsOf = (label: LayerKernel) => (point: LabPoint<DecodeStepShape>) => {
    const { ops, runs } = KERNEL_OPS[label];
    const work = workOf(point, (node) => node.perLayer && ops.includes(node.name));
    return { flops: work.flops / runs, bytes: work.bytes / runs };
  };
  const small = (label: LayerKernel, op: LayerOpName, width: (shape: LayerShape) => number): LabVariant => ({
    label,
    runsPerPass: KERNEL_PASS_RUNS,
    family: layerOp,
    version: 'f32',
    shapeOf: (point) => ({ op, rows: point.shape.batch, width: width(layerAt(point)) }),
    cost: opsOf(label),
  });
  const product = (label: LayerKernel, name: keyof ReturnType<typeof layerProducts>): LabVariant => ({
    label,
    runsPerPass: KERNEL_PASS_RUNS,
    family: gemv,
    version: settings.weights === 'f16' ? 'dense-f16' : 'dense',
    shapeOf(point) {
      const { dIn, dOut, batch, weights } = layerProducts(layerAt(point))[name];
      const weightCopies = Math.max(1, Math.min(MAX_COPIES, Math.ceil(WORKING_SET_BYTES / (dIn * dOut * bytesPerWeight[weights]))));
      return { dIn, dOut, batch, sparsity: 0, weightCopies };
    },
    cost: opsOf(label),
  });
  return [
    product(LAYER_KERNELS[0], 'qkv'),
    {
      label: LAYER_KERNELS[1],
      runsPerPass: KERNEL_PASS_RUNS,
      family: decode,
      version: layerVersionName(kind, settings.kv),
      shapeOf(point) {
        const { batch, heads, kvHeads, headDim, context } = layerAt(point);
        return { batch, queryHeads: heads, kvHeads, seqLen: context + 1, headDim };
      },
      cost: opsOf(LAYER_KERNELS[1]),
    },
    product(LAYER_KERNELS[2], 'o'),
    product(LAYER_KERNELS[3], 'gateUp'),
    product(LAYER_KERNELS[4], 'down'),
    small(LAYER_KERNELS[5], 'rmsnorm', (shape) => shape.hidden),
    small(LAYER_KERNELS[6], 'add', (shape) => shape.hidden),
    small(LAYER_KERNELS[7], 'silu-mul', (shape) => shape.inner),
  ];
}

/**
 * The layer (the baseline of the others' figures), the output head (its final norm and vocabulary product, no
 * embedding), and the layer's kernels one at a time.
 */
function variants(settings: DecodeStepSettings, gpu: LabDevice): LabVariant<DecodeStepShape>[] {
  const kind = gpu.features.has('subgroups') ? 'subgroup' : 'workgroup';
  return [
    { label: 'layer', family: layer, version: layerVersionName(kind, settings.kv), baseline: true, cost: (point) => workOf(point, LAYER) },
    { label: 'output head', family: outputHead, version: 'dense', cost: (point) => workOf(point, HEAD) },
    ...kernelVariants(settings, kind),
  ];
}

/** The layer's chain and ideal time; with the head, the whole step: the model's layers times the layer, plus the head. */
function extra({ point, variant, seconds, baseline, ceilings }: ExtraContext<DecodeStepShape>): Record<string, number> {
  if (variant.label === 'layer') return { layersChained: point.shape.chained, idealSeconds: idealOf(point, LAYER, ceilings) };
  if (!baseline) return {};
  if (variant.label !== 'output head') return { shareOfLayer: seconds / baseline.seconds.median };
  const { layers } = modelOf(String(point.params['model']));
  const stepSeconds = layers * baseline.seconds.median + seconds;
  const idealStep = layers * idealOf(point, LAYER, ceilings) + idealOf(point, HEAD, ceilings);
  return {
    layers,
    stepSeconds,
    tokensPerSecond: point.shape.batch / stepSeconds,
    speedOfLightTokensPerSecond: point.shape.batch / idealStep,
    fractionOfSpeedOfLight: idealStep / stepSeconds,
  };
}

export const decodeStep: Lab<typeof params> = {
  id: 'decode-step',
  title: 'A decode step, measured against the speed of light',
  description:
    'Runs one decoder layer of a real model at its real shapes, with random weights, the way an engine decodes one ' +
    'token: RMSNorm, the fused Q, K and V product, rotary positions and the KV-cache append, attention over the cache, ' +
    'the output product, a residual add, RMSNorm, the fused gate-and-up product, SiLU, the down product and the second ' +
    'residual add, in one pass on this notebook\'s own kernels. The output head (final norm and the vocabulary product) ' +
    'is timed apart, and then each of the layer\'s kernels (its four products, attention and its small ops) alone at the ' +
    'same shapes, to show where the layer\'s time goes. A whole step is the layer times the model\'s layers plus the head, and tokens a second are the ' +
    'sequences over that; the speed of light is the same step as the model\'s page computes it: each op\'s bytes over this ' +
    'device\'s measured bandwidth or its FLOPs over its measured rate, whichever is longer, summed. Each ' +
    'layer\'s output, and some of the head\'s logits, are checked against the CPU first. Mixtures of experts, GELU MLPs ' +
    'and biased output products are not built; those models are not offered.',
  params,
  presets: [
    { label: 'Llama-3-8B, one sequence, 4K and 32K of context', params: { model: 'llama-3-8b', batch: 1, context: '4096, 32768', weights: 'f16', kv: 'f16' } },
    { label: 'Llama-3-8B, eight sequences', params: { model: 'llama-3-8b', batch: 8, context: '4096', weights: 'f16', kv: 'f16' } },
    { label: 'Llama-2-7B (every head its own KV) at 4K and 32K of context', params: { model: 'llama-2-7b', batch: 1, context: '4096, 32768', weights: 'f16', kv: 'f16' } },
  ],
  quick: { model: 'tiny', batch: 2, context: '37', weights: 'f16', kv: 'f16' },
  validate,
  points,
  variants,
  extra,
  verdict,
  figures: {
    layersChained: 'Layers chained in a timed pass',
    idealSeconds: 'Its speed of light: each op\'s bound, summed (s)',
    layers: 'Layers of the model',
    stepSeconds: 'A whole step: layers × layer + head (s)',
    tokensPerSecond: 'Tokens a second',
    speedOfLightTokensPerSecond: 'Speed of light (tokens a second)',
    fractionOfSpeedOfLight: 'Fraction of the speed of light',
    shareOfLayer: 'Its time over the whole layer\'s',
  },
  plots: [
    timePlot('Time of one layer and of the output head against context, each with its bound', { field: 'params.context', label: 'Context S (tokens)' }, { variants: ['layer', 'output head'] }),
    {
      ...timePlot("Time of each of the layer's kernels alone against context, each with its bound", { field: 'params.context', label: 'Context S (tokens)' }, { variants: [...LAYER_KERNELS] }),
      id: 'kernels',
    },
    {
      id: 'tokens',
      title: 'Tokens a second of a whole step (the layers and the head), against its speed of light',
      x: { field: 'params.context', label: 'Context S (tokens)', log: true },
      y: { field: 'extra.tokensPerSecond', label: 'Tokens a second', log: true },
      // The head's record carries the whole step's figures.
      variants: ['output head'],
      names: { 'output head': 'a whole step' },
      bound: 'extra.speedOfLightTokensPerSecond',
    },
  ],
};
