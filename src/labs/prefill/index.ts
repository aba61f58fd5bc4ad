// A model's prefill, measured op by op: a prompt of T tokens through one decoder layer of a catalogue model at its real
// shapes (random weights), each of the layer's kernels timed alone at the prefill's shapes: its four products on the
// GEMM (the matrix units in f16 where the device has them), causal attention over the prompt (FlashAttention's
// order, on the matrix units likewise), and its small ops over T rows. Each is judged by its ops of the model's
// prefill graph (src/models/graph.ts), the very ops the model's page draws; their sum is the layer's prefill, and the
// model's layers times it the time to the first token (the output head, which reads the last token alone, aside).
import { attention } from '../../kernels/attention/index';
import { gemm } from '../../kernels/gemm/index';
import { layerOp, type LayerOpName } from '../../kernels/layer/ops';
import { versionOf } from '../../kernels/family';
import { matrixRefusal } from '../../kernels/matrix/matrix';
import { opGraph, type OpNode } from '../../models/graph';
import { familyDeviceOf } from '../harness';
import { timePlot } from '../specs';
import type { Lab, LabDevice, LabPoint, LabVariant, SettingsOf } from '../types';
import { MODEL_PARAM, modelOf } from '../decode-step/models';
import { KERNEL_OPS, LAYER_KERNELS, type LayerKernel } from '../decode-step/verdict';
import { verdict } from './verdict';

const MAX_POINTS = 6;
/** The longest prompt a run takes: the products' activations grow with it, and attention's work with its square. */
const MAX_TOKENS = 8192;
/** Runs of each kernel in one timed pass, back to back as they run in a layer (the decode step runs eight to a pass; these are longer). */
const KERNEL_PASS_RUNS = 4;
const SEED = 12;

const params = [
  MODEL_PARAM,
  { name: 'tokens', label: 'Prompt (T)', kind: 'list', integer: true, default: '512, 2048', min: 1, max: MAX_TOKENS, maxLength: MAX_POINTS, unit: 'tokens', help: `Tokens of the prompt, 1 to ${MAX_TOKENS}.` },
  {
    name: 'weights',
    label: 'Weights',
    kind: 'choice',
    default: 'f16',
    choices: [
      { value: 'f16', label: 'f16 (on the matrix units where offered)' },
      { value: 'f32', label: 'f32' },
    ],
  },
] as const;

export type PrefillSettings = SettingsOf<typeof params>;


export interface PrefillShape {
  tokens: number;
}

/** Each prompt length once, shortest first. */
function points(settings: PrefillSettings): LabPoint<PrefillShape>[] {
  const model = modelOf(settings.model);
  return [...new Set(settings.tokens)].sort((a, b) => a - b).map((tokens) => ({
    shape: { tokens },
    params: { model: model.id, tokens, weights: settings.weights },
    label: `of ${model.name} at a prompt of ${tokens}`,
    seed: SEED + tokens,
  }));
}

/** The model's prefill graph at a point: what /models/ draws for a prompt of T tokens. */
function graphOf(point: LabPoint<PrefillShape>) {
  const { model, weights } = point.params as { model: string; weights: 'f16' | 'f32' };
  return opGraph(modelOf(model), { kind: 'prefill', batch: 1, tokens: point.shape.tokens, weights, kv: weights });
}

/** The work of one run of a kernel: its ops of the layer's graph, shared among its runs (the two norms, the two adds). */
const workOf = (label: LayerKernel) => (point: LabPoint<PrefillShape>) => {
  const { ops, runs } = KERNEL_OPS[label];
  const nodes = graphOf(point).nodes.filter((node: OpNode) => node.perLayer && ops.includes(node.name));
  return { flops: nodes.reduce((sum, node) => sum + node.flops, 0) / runs, bytes: nodes.reduce((sum, node) => sum + node.bytes, 0) / runs };
};

/** Whether the device can put f16 products on its matrix units. */
const matrixUnits = (gpu: LabDevice) => matrixRefusal(gpu.features, gpu.info?.subgroupMatrixConfigs) === null;

/**
 * The layer's kernels at a prompt of T tokens: its products C = X·W (X T × k), causal attention with every query head
 * over its own K and V (a model whose query heads share KV heads does the same FLOPs; its K and V are smaller), and its
 * small ops over T rows. In f16 on a device with matrix units the products run there, and attention too where the
 * device takes its kernel (subgroups of 16 lanes or more, the head's width a multiple of 16); the rest run tiled in f32.
 */
function variants(settings: PrefillSettings, gpu: LabDevice): LabVariant[] {
  const model = modelOf(settings.model);
  const matrix = settings.weights === 'f16' && matrixUnits(gpu);
  const { hiddenSize: hidden, intermediateSize: inner, heads, kvHeads, headDim } = model;
  const product = (label: LayerKernel, k: number, n: number): LabVariant => ({
    label,
    runsPerPass: KERNEL_PASS_RUNS,
    family: gemm,
    version: matrix ? 'matrix' : 'tiled',
    // Weights and activations filled on the GPU: the gate and up weights alone are 117M values.
    shapeOf: (point: LabPoint<PrefillShape>) => ({ m: point.shape.tokens, n, k, hashed: true }),
    cost: workOf(label),
  });
  const small = (label: LayerKernel, op: LayerOpName, width: number): LabVariant => ({
    label,
    runsPerPass: KERNEL_PASS_RUNS,
    family: layerOp,
    version: 'f32',
    shapeOf: (point: LabPoint<PrefillShape>) => ({ op, rows: point.shape.tokens, width }),
    cost: workOf(label),
  });
  return [
    product('QKV product', hidden, (heads + 2 * kvHeads) * headDim),
    {
      label: 'attention',
      runsPerPass: KERNEL_PASS_RUNS,
      family: attention,
      version: matrix && attention.refusal(familyDeviceOf(gpu), { batch: 1, heads, seqLen: 1, headDim, causal: true }, versionOf(attention, 'matrix'), {}) === null ? 'matrix' : 'tiled',
      shapeOf: (point: LabPoint<PrefillShape>) => ({ batch: 1, heads, seqLen: point.shape.tokens, headDim, causal: true, hashed: true }),
      cost: workOf('attention'),
    },
    product('output product', heads * headDim, hidden),
    product('gate and up product', hidden, 2 * inner),
    product('down product', inner, hidden),
    small('RMSNorm', 'rmsnorm', hidden),
    small('residual add', 'add', hidden),
    small('SiLU · up', 'silu-mul', inner),
  ];
}

export const prefill: Lab<typeof params> = {
  id: 'prefill',
  title: "A prompt's prefill, measured op by op against the speed of light",
  description:
    'Runs one decoder layer of a real model over a whole prompt at once, the way an engine reads a prompt before it ' +
    "writes the first token: each of the layer's kernels alone at the prefill's shapes, with random weights: the fused Q, K " +
    'and V product, causal attention over the prompt, the output product, the fused gate-and-up product, the down ' +
    'product, and its small ops (RMSNorm and the residual add, each twice, and SiLU·up) over every token. Each is ' +
    "judged by its ops of the model's prefill graph, the same ones the model's page draws: its FLOPs over this device's " +
    'measured rate or its bytes over its measured bandwidth, whichever is longer. Their sum is the layer; the model\'s ' +
    'layers times it is the time to the first token, the output head (which reads the last token alone) aside. Rotary ' +
    'positions and writing the cache are not timed. In f16 on a device that offers its matrix units to WebGPU the ' +
    'products and attention run on them; elsewhere they run tiled in f32. Each kernel is checked against the CPU first.',
  params,
  presets: [
    { label: 'Llama-3-8B, prompts of 512 to 8192 tokens', params: { model: 'llama-3-8b', tokens: '512, 2048, 8192', weights: 'f16' } },
    { label: 'Llama-2-7B (every head its own KV), 2048 tokens', params: { model: 'llama-2-7b', tokens: '2048', weights: 'f16' } },
  ],
  quick: { model: 'tiny', tokens: '37', weights: 'f16' },
  points,
  variants,
  verdict,
  plots: [
    timePlot("Time of each of the layer's kernels against the prompt's length, each with its bound", { field: 'params.tokens', label: 'Prompt T (tokens)' }, { variants: [...LAYER_KERNELS] }),
  ],
};
