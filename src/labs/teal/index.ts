// TEAL (Liu et al., 2024): skip the rows of Wᵀ whose input activation is small, and measure what that buys
// on this GPU against the memory-bound ideal 1/(1 − s), and what it costs in output error.
import { bytes, flops, type GemvShape } from '../../kernels/gemv/cost';
import { gemv, gemvShapeOf, outputError, type SparseGemvShape } from '../../kernels/gemv/index';
import { expectedRelativeError } from '../../kernels/gemv/sparsity';
import { versionOf } from '../../kernels/family';
import { Random } from '../../kernels/gpu/random';
import type { ExtraContext, Lab, LabPoint, LabVariant, SettingsOf } from '../types';
import { claims, verdict } from './verdict';

/** Largest dimension a reader may ask for; beyond it the device's buffer limits refuse first anyway. */
const MAX_DIMENSION = 65536;
/** The sweep may reach 95% sparsity; beyond it the ideal 1/(1 − s) says little about a model. */
const MAX_SPARSITY_PERCENT = 95;
/** Most GEMVs in one timed pass. */
const MAX_PER_PASS = 64;
/**
 * GEMVs cycle through copies of Wᵀ and of x (coprime counts, so every pairing comes round), so that a sparse
 * GEMV at 90% does not find the rows it reads still in the L2 cache (the H100 has 50 MB) from the one before,
 * as it would not in a model, where every layer's weights are read once per token.
 */
const WEIGHT_WORKING_SET_BYTES = 1024 * 1024 * 1024;
const MAX_WEIGHT_COPIES = 4;
const MAX_WEIGHT_BYTES = 1024 * 1024 * 1024;
const X_COPIES = 5;
const SEED = 4;
/** The first timed GEMVs warm up at least this long, so that the first point is not timed at the clocks of an idle GPU. */
const CLOCK_WARMUP_SECONDS = 0.3;

const params = [
  { name: 'dIn', label: 'd_in (input channels)', kind: 'int', default: 4096, min: 1, max: MAX_DIMENSION, help: 'Rows of Wᵀ: one per entry of x.' },
  { name: 'dOut', label: 'd_out (outputs)', kind: 'int', default: 11008, min: 1, max: MAX_DIMENSION, help: 'Columns of Wᵀ: one per entry of y.' },
  {
    name: 'sparsity',
    label: 'Sparsity sweep',
    kind: 'list',
    default: '0,10,20,30,40,50,60,70,80,90,95',
    unit: '%',
    min: 0,
    max: MAX_SPARSITY_PERCENT,
    help: 'Fractions of x zeroed by magnitude; each point times dense and sparse.',
  },
  {
    name: 'dtype',
    label: 'Weights',
    kind: 'choice',
    default: 'f32',
    choices: [
      { value: 'f32', label: 'f32' },
      { value: 'f16', label: 'f16 (summed in f32)' },
    ],
    help: 'How Wᵀ is stored; x, y and the sums are f32.',
  },
  { name: 'batch', label: 'Batch', kind: 'int', default: 1, min: 1, max: 8, unit: 'tokens', help: 'Tokens decoded together.' },
  {
    name: 'perPass',
    label: 'GEMVs per timed pass',
    kind: 'int',
    default: 32,
    min: 1,
    max: MAX_PER_PASS,
    help:
      'GEMVs run back to back in one compute pass, each on other weights and waiting for the one before, as a ' +
      'model\'s layers run in a decoding step; the time shown is the pass\'s over this count. 1 times a GEMV ' +
      'alone, with the cost of starting a pass on top.',
  },
  {
    name: 'distribution',
    label: 'Activations',
    kind: 'choice',
    default: 'laplace',
    choices: [
      { value: 'laplace', label: 'Laplacian (TEAL: inputs to the MLP down-projection and attention output)' },
      { value: 'gaussian', label: 'Gaussian (TEAL: inputs to attention and the MLP up/gate projections)' },
    ],
    help: 'The zero-mean shapes TEAL reports for hidden states.',
  },
] as const;

export type TealSettings = SettingsOf<typeof params>;

/** How many copies of Wᵀ to cycle through: enough to exceed any L2, within a memory budget. */
export function weightCopies(shape: GemvShape): number {
  const weightBytes = shape.dIn * shape.dOut * (shape.weights === 'f16' ? 2 : 4);
  const wanted = Math.ceil(WEIGHT_WORKING_SET_BYTES / weightBytes);
  return Math.max(1, Math.min(MAX_WEIGHT_COPIES, wanted, Math.floor(MAX_WEIGHT_BYTES / weightBytes)));
}

/** The GEMV at `percent`% sparsity, with the copies it cycles through. */
export function shapeOf(settings: TealSettings, percent: number): SparseGemvShape {
  const { dIn, dOut, batch, distribution } = settings;
  return { dIn, dOut, batch, sparsity: percent / 100, distribution, weightCopies: weightCopies({ dIn, dOut, batch, weights: settings.dtype }), xCopies: X_COPIES };
}

/** Every point's shape and seed, each run `perPass` times a timed pass; its records carry the settings at its sparsity. */
function points(settings: TealSettings): LabPoint<SparseGemvShape>[] {
  return settings.sparsity.map((percent) => ({
    shape: shapeOf(settings, percent),
    params: { ...settings, sparsity: percent },
    label: `at ${percent}%`,
    seed: SEED,
    runsPerPass: settings.perPass,
  }));
}

/** The sparse version's inputs at a point, drawn again from its seed: the rows its copies of x keep, its output error. */
const drawn = (point: LabPoint<SparseGemvShape>, version: string) => gemv.inputs(point.shape, new Random(point.seed), versionOf(gemv, version));

/** Dense on x itself (sparsity 0), the baseline, and sparse judged by the rows of Wᵀ its copies of x keep, on average. */
function variants(settings: TealSettings): LabVariant<SparseGemvShape>[] {
  const sparse = settings.dtype === 'f16' ? 'sparse-f16' : 'sparse';
  return [
    { label: 'dense', family: gemv, version: settings.dtype === 'f16' ? 'dense-f16' : 'dense', shape: { sparsity: 0 }, baseline: true },
    {
      label: 'sparse',
      family: gemv,
      version: sparse,
      cost(point) {
        const shape = gemvShapeOf(point.shape, versionOf(gemv, sparse));
        const kept = drawn(point, sparse).keptRows;
        return { flops: flops(shape, kept), bytes: bytes(shape, kept) };
      },
    },
  ];
}

/** Dense: itself. Sparse: its speedup over dense, the ideal (dense's bytes over its own), its output error and rows read. */
function extra({ point, variant, seconds, bytes: read, baseline }: ExtraContext<SparseGemvShape>): Record<string, number> {
  if (variant.baseline || !baseline) return { speedup: 1, idealSpeedup: 1, relError: 0, keptRows: point.shape.dIn };
  const inputs = drawn(point, variant.version);
  return { speedup: baseline.seconds.median / seconds, idealSpeedup: baseline.bytes / read, relError: outputError(point.shape, inputs), keptRows: inputs.keptRows };
}

export const teal: Lab<typeof params> = {
  id: 'teal',
  title: 'TEAL: a GEMV that skips small activations',
  description:
    'Times y = W·x for one to four decoding tokens, dense and with the rows of Wᵀ whose activation |x| is at or ' +
    'below the sparsity quantile skipped, across a sweep of sparsities. Each time is one GEMV\'s share of a pass ' +
    'of several run back to back, as in a decoding step. Decoding is memory-bound, so the bound ' +
    'is the bytes that must be read, (1 − s)·d_in·d_out·elt plus x and y, over this device\'s memory ' +
    'bandwidth (the faster of its copy and read bandwidths, as the probe measured them), and the ideal speedup is 1/(1 − s). A batch reads the union of its tokens\' rows. The relative ' +
    'error ‖y_sparse − y‖/‖y‖ is computed on the CPU: the accuracy half of the trade.',
  params,
  presets: [
    { label: 'Llama-2-7B up/gate projection (4096→11008)', params: { dIn: 4096, dOut: 11008 } },
    { label: 'Llama-2-7B down projection (11008→4096)', params: { dIn: 11008, dOut: 4096 } },
    { label: 'Llama-3-8B up/gate projection (4096→14336)', params: { dIn: 4096, dOut: 14336 } },
  ],
  quick: { dIn: 256, dOut: 384, sparsity: '0,50,90', perPass: 4 },
  points,
  variants,
  firstWarmupSeconds: CLOCK_WARMUP_SECONDS,
  extra,
  claims,
  verdict,
  figures: { speedup: 'Speedup over dense (×)', idealSpeedup: 'Ideal speedup (×)', relError: 'Output error ‖Δy‖/‖y‖', keptRows: 'Rows of Wᵀ read' },
  plots: [
    {
      id: 'time',
      title: 'Time per GEMV against sparsity',
      x: { field: 'params.sparsity', label: 'Sparsity (%)' },
      y: { field: 'seconds.median', label: 'Time', unit: 'seconds', log: true },
      bound: 'bound.seconds',
    },
    {
      id: 'speedup',
      title: 'Speedup of the sparse GEMV over the dense one',
      x: { field: 'params.sparsity', label: 'Sparsity (%)' },
      y: { field: 'extra.speedup', label: 'Speedup over dense (×)', log: true },
      variants: ['sparse'],
      guides: [
        { label: 'ideal 1/(1 − s)', fn: (percent) => 1 / (1 - percent / 100) },
        {
          label: 'TEAL paper, end-to-end decoding (Liu et al., 2024)',
          points: claims.map((claim) => ({ x: Number(claim.conditions['sparsity']), y: claim.value, label: `TEAL ${claim.conditions['sparsity']}%: ${claim.value}×` })),
        },
      ],
    },
    {
      id: 'error',
      title: 'Output error against sparsity',
      x: { field: 'params.sparsity', label: 'Sparsity (%)' },
      y: { field: 'extra.relError', label: '‖y_sparse − y‖ / ‖y‖' },
      variants: ['sparse'],
      guides: [
        { label: 'theory, Laplacian activations', fn: (percent) => expectedRelativeError(percent / 100, 'laplace') },
        { label: 'theory, Gaussian activations', fn: (percent) => expectedRelativeError(percent / 100, 'gaussian') },
      ],
    },
  ],
};
