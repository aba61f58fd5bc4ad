// TEAL (Liu et al., 2024): skip the rows of Wᵀ whose input activation is small, and measure what that buys
// on this GPU against the memory-bound ideal 1/(1 − s), and what it costs in output error.
import { bytes, flops, type GemvShape } from '../../kernels/gemv/cost';
import { gemvDispatches, packWeights, partialBytes, planGemv, prepareGemv, gemvRefusal, type GemvVariant } from '../../kernels/gemv/gemv';
import { gemvReference, relativeError, rms, sparseGemvReference, type PackedWeights } from '../../kernels/gemv/gemv.reference';
import { expectedRelativeError, keptRows, thresholdFor } from '../../kernels/gemv/sparsity';
import { firstRefusal } from '../../kernels/gpu/limits';
import { Random, type Distribution } from '../../kernels/gpu/random';
import type { EncodePass } from '../../kernels/gpu/timing';
import type { RunRecord } from '../../schemas/results';
import { checkOutput, pause, Resources, runOnce, timeRuns } from '../harness';
import { makeRecord } from '../record';
import type { Lab, LabContext, SettingsOf } from '../types';
import { runsOf, saidBy } from '../verdict';
import { claimSchema } from '../../schemas/claim';

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
/** f32 sums over a few thousand terms in another order than the f64 reference land far under this. */
const TOLERANCE = 1e-4;
const SEED = 4;
/** Untimed dense GEMVs for this long first, so that the first point is not timed at the clocks of an idle GPU. */
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
  { name: 'batch', label: 'Batch', kind: 'int', default: 1, min: 1, max: 4, unit: 'tokens', help: 'Tokens decoded together.' },
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

const variants: GemvVariant[] = ['dense', 'sparse'];

export function shapeOf(settings: TealSettings): GemvShape {
  return { dIn: settings.dIn, dOut: settings.dOut, batch: settings.batch, weights: settings.dtype };
}

/** How many copies of Wᵀ to cycle through: enough to exceed any L2, within a memory budget. */
export function weightCopies(shape: GemvShape): number {
  const weightBytes = shape.dIn * shape.dOut * (shape.weights === 'f16' ? 2 : 4);
  const wanted = Math.ceil(WEIGHT_WORKING_SET_BYTES / weightBytes);
  return Math.max(1, Math.min(MAX_WEIGHT_COPIES, wanted, Math.floor(MAX_WEIGHT_BYTES / weightBytes)));
}

function distributionOf(name: TealSettings['distribution']): Distribution {
  // Zero mean, unit variance either way, so the two shapes compare at one scale.
  return name === 'gaussian' ? { kind: 'gaussian', mean: 0, std: 1 } : { kind: 'laplace', location: 0, scale: Math.SQRT1_2 };
}

/** A GEMV's share of the dispatches a pass adds beyond its first: every one of perPass GEMVs waits for the last. */
const extraDispatches = (perPass: number, perGemv: number) => (perPass * perGemv - 1) / perPass;

/** One point of the sweep, prepared on the CPU before any timing starts. */
interface Point {
  sparsityPercent: number;
  /** TEAL's threshold for each copy of x. */
  thresholds: number[];
  /** Rows of Wᵀ the sparse version reads, averaged over the copies of x. */
  keptRows: number;
  /** The sparse output for the first (Wᵀ, x) pair, on the CPU. */
  expected: Float64Array;
}

async function* run(ctx: LabContext, settings: TealSettings): AsyncIterable<RunRecord> {
  const { perPass, distribution } = settings;
  const shape = shapeOf(settings);
  const random = new Random(SEED);
  const gpu = new Resources(ctx, 'teal');
  const total = 2 * settings.sparsity.length;
  let done = 0;
  try {
    // Only the first copy stays on the CPU, for the reference: the others may be gigabytes between them.
    const copies: GPUBuffer[] = [];
    let first: PackedWeights | undefined;
    for (let k = 0; k < weightCopies(shape); k++) {
      ctx.progress(done, total, `random weights ${k + 1}`);
      const packed = packWeights(shape, () => random.gaussian(0, 1));
      first ??= packed;
      copies.push(gpu.from(packed.data, GPUBufferUsage.STORAGE, `Wᵀ ${k}`));
      await pause(ctx.signal);
    }
    const xs = Array.from({ length: X_COPIES }, () => random.fill(new Float32Array(shape.batch * shape.dIn), distributionOf(distribution)));
    const xBuffers = xs.map((x, k) => gpu.from(x, GPUBufferUsage.STORAGE, `x ${k}`));
    // y: (batch, dOut) f32
    const yBytes = 4 * shape.batch * shape.dOut;
    const y = gpu.empty(yBytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'y');
    const partialSize = Math.max(...variants.map((variant) => partialBytes(shape, planGemv(shape, variant))), 16);
    const partial = gpu.empty(partialSize, GPUBufferUsage.STORAGE, 'partial sums');

    // The CPU's share first, so that the GPU's timings follow one another without idle gaps.
    ctx.progress(done, total, 'CPU reference');
    const denseExpected = gemvReference(first!, xs[0]!, shape);
    const floor = rms(denseExpected);
    const points: Point[] = [];
    for (const sparsityPercent of settings.sparsity) {
      const thresholds = xs.map((x) => thresholdFor(x, sparsityPercent / 100));
      const kept = thresholds.map((t, k) => keptRows(xs[k]!, shape.batch, shape.dIn, t));
      points.push({
        sparsityPercent,
        thresholds,
        keptRows: kept.reduce((a, b) => a + b, 0) / kept.length,
        expected: sparseGemvReference(first!, xs[0]!, shape, thresholds[0]!),
      });
      await pause(ctx.signal);
    }

    /**
     * Every (Wᵀ, x) pair of a version, and a pass of `count` GEMVs: GEMV g runs pair g, cycling Wᵀ copy g mod W
     * with x copy g mod X (coprime). They all write y, so each waits for the one before, as one layer's
     * GEMV waits for the last layer's in a model.
     */
    const prepare = (variant: GemvVariant, thresholds: number[]) => {
      const plan = planGemv(shape, variant);
      const pairs = copies.flatMap((weights) =>
        xBuffers.map((x, k) => gpu.own(prepareGemv(ctx.gpu.device, variant, shape, plan, { weights, x, y, partial }, thresholds[k]))),
      );
      const pass = (count: number): EncodePass =>
        (encoder, rep) => {
          for (let g = rep * count; g < (rep + 1) * count; g++) pairs[(g % copies.length) * X_COPIES + (g % X_COPIES)]!.encode(encoder);
        };
      return { pass, dispatches: pairs[0]!.dispatches };
    };
    const check = async (pass: EncodePass, expected: Float64Array, what: string) =>
      checkOutput(await runOnce(ctx, pass, y, yBytes, `teal ${what}`), expected, { tolerance: TOLERANCE, floor }, `teal ${what}`);

    const dense = prepare('dense', xs.map(() => -1));
    const denseCheck = await check(dense.pass(1), denseExpected, 'dense');
    // A GPU left idle while the CPU worked runs at low clocks: bring it up before the first timing.
    const warming = performance.now();
    do await timeRuns(ctx, denseCheck, 'The dense GEMV', dense.pass(perPass), perPass, { warmup: 0, reps: 10, method: 'submit' });
    while (performance.now() - warming < CLOCK_WARMUP_SECONDS * 1000);
    for (const point of points) {
      const params = { ...settings, sparsity: point.sparsityPercent };
      ctx.progress(done++, total, `dense at ${point.sparsityPercent}%`);
      const baseline = await timeRuns(ctx, denseCheck, 'The dense GEMV', dense.pass(perPass), perPass);
      yield makeRecord({
        lab: 'teal',
        variant: 'dense',
        params,
        timing: baseline,
        flops: flops(shape),
        bytes: bytes(shape),
        ceilings: ctx.ceilings,
        check: denseCheck,
        unit: 'fp32',
        extraDispatches: extraDispatches(perPass, dense.dispatches),
        extra: { speedup: 1, idealSpeedup: 1, relError: 0, keptRows: shape.dIn },
      });
      ctx.progress(done++, total, `sparse at ${point.sparsityPercent}%`);
      const sparse = prepare('sparse', point.thresholds);
      const sparseCheck = await check(sparse.pass(1), point.expected, `sparse at ${point.sparsityPercent}%`);
      const timing = await timeRuns(ctx, sparseCheck, `The sparse GEMV at ${point.sparsityPercent}% sparsity`, sparse.pass(perPass), perPass);
      yield makeRecord({
        lab: 'teal',
        variant: 'sparse',
        params,
        timing,
        flops: flops(shape, point.keptRows),
        bytes: bytes(shape, point.keptRows),
        ceilings: ctx.ceilings,
        check: sparseCheck,
        unit: 'fp32',
        extraDispatches: extraDispatches(perPass, sparse.dispatches),
        extra: {
          speedup: baseline.seconds.median / timing.seconds.median,
          idealSpeedup: bytes(shape) / bytes(shape, point.keptRows),
          relError: relativeError(point.expected, denseExpected),
          keptRows: point.keptRows,
        },
      });
    }
    ctx.progress(total, total, 'done');
  } finally {
    gpu.destroy();
  }
}

/** TEAL's end-to-end decoding speedups at 40% and 50% model-wide sparsity (Liu et al., 2024). */
const claims = claimSchema.array().parse([
  { what: 'faster decoding, end to end', value: 1.53, unit: '×', conditions: { sparsity: 40 }, source: 'abstract', version: 'arXiv 2408.14690' },
  { what: 'faster decoding, end to end', value: 1.8, unit: '×', conditions: { sparsity: 50 }, source: 'abstract', version: 'arXiv 2408.14690' },
]);

/**
 * At the sparsity of a claim where the run has one (else its highest): the sparse GEMV's speedup over dense, the
 * memory-bound ideal and, where there is one, what TEAL reports at that sparsity.
 */
function verdict(records: RunRecord[], subject: string): string | null {
  const sparse = runsOf(records.filter((record) => record.variant === 'sparse'), ['sparsity'])[0] ?? [];
  const claimed = claims.filter((claim) => sparse.some((record) => record.params['sparsity'] === claim.conditions['sparsity']));
  const claim = claimed.at(-1);
  const at = claim ? sparse.find((record) => record.params['sparsity'] === claim.conditions['sparsity']) : sparse.at(-1);
  if (!at?.extra?.['speedup']) return null;
  const percent = at.params['sparsity'];
  return (
    `At ${percent}% sparsity ${subject} ran the sparse GEMV ${at.extra['speedup'].toFixed(2)}× as fast as the dense one; ` +
    `reading only the kept rows, the ideal is ${at.extra['idealSpeedup']!.toFixed(2)}×.` +
    (claim ? ` TEAL reports ${saidBy(claim, 'Liu et al.')} for whole models at ${percent}%.` : '')
  );
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
  validate(settings, gpu) {
    const shape = shapeOf(settings);
    return firstRefusal(...variants.map((variant) => gemvRefusal(gpu.limits, shape, planGemv(shape, variant))));
  },
  cost(settings) {
    const shape = shapeOf(settings);
    const runsPerPass = settings.perPass;
    const extra = (variant: GemvVariant) => extraDispatches(runsPerPass, gemvDispatches(planGemv(shape, variant)));
    return settings.sparsity.flatMap((percent) => {
      const kept = Math.ceil(shape.dIn * (1 - percent / 100));
      return [
        { flops: flops(shape), bytes: bytes(shape), unit: 'fp32' as const, extraDispatches: extra('dense'), runsPerPass },
        { flops: flops(shape, kept), bytes: bytes(shape, kept), unit: 'fp32' as const, extraDispatches: extra('sparse'), runsPerPass },
      ];
    });
  },
  run,
  claims,
  verdict,
  figures: { speedup: 'Speedup over dense (×)', idealSpeedup: 'Ideal speedup (×)', relError: 'Output error ‖Δy‖/‖y‖', keptRows: 'Rows of Wᵀ read' },
  plots: [
    {
      id: 'time',
      title: 'Time per GEMV against sparsity',
      x: { field: 'params.sparsity', label: 'Sparsity (%)' },
      y: { field: 'seconds.median', label: 'Time (s)', log: true },
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
