// LoRA (Hu et al., 2021): y = xW + s·(xA)B beside a frozen weight. What the adapter costs depends on the order the
// three matrices are multiplied in; this lab times each order (and the merged weight, and the gradients), the
// versions of the LoRA family (src/kernels/lora), on this GPU, against the bound from this device's ceilings and the
// FLOPs of each order.
import { versionOf } from '../../kernels/family';
import { FORWARD, stepsOf, VARIANTS } from '../../kernels/lora/chain';
import { gemmVersionOf, lora as loraFamily, loraVersionName, variantOf, type LoraShape } from '../../kernels/lora/index';
import { timePlot } from '../specs';
import type { ExtraContext, Lab, LabPoint, LabVariant, SettingsOf } from '../types';
import { claims, verdict } from './verdict';

const MAX_TOKENS = 16384;
const MAX_DIMENSION = 16384;
const MAX_RANK = 1024;
const MAX_POINTS = 12;
/** The adapter's scale s = α/r, with α = 2r as many recipes set it. */
const SCALE = 2;
const SEED = 12;
/** The run's first variant warms up this long, so that the first point is not timed at the clocks of an idle GPU. */
const CLOCK_WARMUP_SECONDS = 0.3;

const params = [
  {
    name: 'tokens',
    label: 'Tokens (T)',
    kind: 'list',
    integer: true,
    default: '1, 64, 512, 4096',
    min: 1,
    max: MAX_TOKENS,
    maxLength: MAX_POINTS,
    help: 'Rows of x: 1 is one decoding step, thousands a prefill or a training batch.',
  },
  { name: 'dIn', label: 'd_in', kind: 'int', default: 4096, min: 1, max: MAX_DIMENSION, help: 'Inputs of the frozen layer W (d_in × d_out).' },
  { name: 'dOut', label: 'd_out', kind: 'int', default: 4096, min: 1, max: MAX_DIMENSION },
  {
    name: 'rank',
    label: 'Ranks (r)',
    kind: 'list',
    integer: true,
    default: '16',
    min: 1,
    max: MAX_RANK,
    maxLength: MAX_POINTS,
    help: 'A is d_in × r and B is r × d_out; the scale s is 2 (α = 2r).',
  },
  {
    name: 'dtype',
    label: 'Type',
    kind: 'choice',
    default: 'f32',
    choices: [
      { value: 'f32', label: 'f32 (FMA units)' },
      { value: 'f16', label: 'f16, summed in f32 on the matrix units' },
    ],
    help: 'f16 needs subgroup matrices, which Chrome offers behind its unsafe-WebGPU flag.',
  },
  {
    name: 'passes',
    label: 'Passes',
    kind: 'choice',
    default: 'both',
    choices: [
      { value: 'both', label: 'forward and backward' },
      { value: 'forward', label: 'forward only' },
    ],
  },
] as const;

export type LoraSettings = SettingsOf<typeof params>;

/** Every (T, r) of the sweep, ranks outer; each point's inputs are seeded by its T and r. */
function pointsOf(settings: LoraSettings): LabPoint<LoraShape>[] {
  const { dIn, dOut, dtype } = settings;
  return [...new Set(settings.rank)].flatMap((rank) =>
    [...new Set(settings.tokens)].map((tokens) => ({
      shape: { tokens, dIn, dOut, rank, scale: SCALE },
      params: { tokens, dIn, dOut, rank, dtype },
      label: `at T=${tokens}, r=${rank}`,
      seed: SEED + tokens + 7 * rank,
    })),
  );
}

/** The orders of the chain, the base layer first (the baseline of every figure), in the settings' element type. */
export function variantsOf(settings: Pick<LoraSettings, 'passes' | 'dtype'>): LabVariant<LoraShape>[] {
  return (settings.passes === 'forward' ? FORWARD : VARIANTS).map((variant) => ({
    label: variant,
    family: loraFamily,
    version: loraVersionName(variant, settings.dtype),
    params: { kernel: gemmVersionOf(settings.dtype) },
    ...(variant === 'base' && { baseline: true }),
  }));
}

/** FLOPs and time over the base layer's at the same point, and the steps (GEMMs and adds) the order takes. */
function extra({ point, variant, seconds, flops, baseline }: ExtraContext<LoraShape>): Record<string, number> {
  const { shape } = point;
  const baseFlops = loraFamily.cost(shape, versionOf(loraFamily, 'base')).flops;
  const timeOverBase = variant.baseline ? 1 : baseline && seconds / baseline.seconds.median;
  return {
    flopsOverBase: flops / baseFlops,
    ...(timeOverBase !== undefined && { timeOverBase }),
    steps: stepsOf(variantOf(versionOf(loraFamily, variant.version)), shape, shape.scale).length,
  };
}

export const lora: Lab<typeof params> = {
  id: 'lora',
  title: 'LoRA: the order of a matrix chain',
  description:
    'Times a frozen layer y = xW (W is d_in × d_out) with a rank-r adapter beside it, y = xW + s·(xA)B with the ' +
    'scale s = α/r = 2, multiplied in each order: ' +
    'unmerged (three GEMMs and an add), fused (xA, then one GEMM that adds s·(xA)B as it finishes), the wrong order ' +
    'x(AB), which builds a d_in × d_out matrix first, and merged into the weight (with the merge timed apart). The ' +
    "backward pass computes the adapter's gradients dA and dB in the cheap order and through xᵀdY. f32 runs on the FMA " +
    'units with 128×128 tiles, 8×8 outputs a thread; f16 on the matrix units through subgroup matrices. At four tokens or fewer both ' +
    'read the weights as matrix–vector products instead (256 columns a workgroup), as the time there is reading W. Where a result ' +
    'has too few columns to fill the GPU, K is split across workgroups and summed after. Inputs are Gaussian; the first ' +
    'and last rows of every result are checked against the CPU. The bound is the larger of the FLOPs over this ' +
    "device's measured rate and the bytes each step must move over its bandwidth, plus a launch for each dispatch after the first.",
  params,
  presets: [
    { label: 'T = d = 4096, r = 16', params: { tokens: '4096', dIn: 4096, dOut: 4096, rank: '16', dtype: 'f32', passes: 'both' } },
    { label: 'Decoding to prefill: T from 1 to 8192', params: { tokens: '1, 8, 64, 512, 2048, 8192', dIn: 4096, dOut: 4096, rank: '16', passes: 'forward' } },
    { label: 'Ranks 4 to 256 at T = 4096', params: { tokens: '4096', dIn: 4096, dOut: 4096, rank: '4, 16, 64, 256', passes: 'both' } },
    { label: 'f16 on the matrix units, T = d = 4096', params: { tokens: '4096', dIn: 4096, dOut: 4096, rank: '16', dtype: 'f16', passes: 'both' } },
  ],
  quick: { tokens: '1, 37', dIn: 72, dOut: 40, rank: '4, 12', dtype: 'f32', passes: 'both' },
  points: pointsOf,
  variants: variantsOf,
  extra,
  firstWarmupSeconds: CLOCK_WARMUP_SECONDS,
  claims,
  verdict,
  figures: {
    kernel: 'Kernel',
    flopsOverBase: 'FLOPs over the base layer (×)',
    timeOverBase: 'Time over the base layer (×)',
    steps: 'Steps (GEMMs and adds)',
  },
  plots: [
    timePlot('Time of the forward pass against tokens, each variant with its bound, one panel a rank', { field: 'params.tokens', label: 'Tokens T' }, {
      variants: ['base', 'unmerged', 'fused', 'x(AB)', 'merged'],
      facet: { field: 'params.rank', label: 'r' },
    }),
    {
      id: 'order',
      title: "Each variant's time over the base layer's; dashed, its FLOPs over the base layer's (where time would be if only FLOPs counted)",
      x: { field: 'params.tokens', label: 'Tokens T', log: true },
      y: { field: 'extra.timeOverBase', label: 'Over the base layer (×)', log: true },
      facet: { field: 'params.rank', label: 'r' },
      variants: ['unmerged', 'fused', 'x(AB)', 'merged', 'backward', 'backward, xᵀ·dY first'],
      bound: 'extra.flopsOverBase',
    },
    {
      id: 'rank',
      title: "The adapter's overhead over the base layer against its rank, one panel a number of tokens",
      x: { field: 'params.rank', label: 'Rank r', log: true },
      y: { field: 'extra.timeOverBase', label: 'Over the base layer (×)' },
      facet: { field: 'params.tokens', label: 'T' },
      variants: ['unmerged', 'fused', 'merged'],
      guides: [{ label: 'the base layer', fn: () => 1 }],
    },
  ],
};
