// LoRA (Hu et al., 2021): y = xW + s·(xA)B beside a frozen weight. What the adapter costs depends on the order the
// three matrices are multiplied in; this lab times each order (and the merged weight, and the gradients) with the
// GEMMs of src/kernels/gemm on this GPU, against the bound from this device's ceilings and the FLOPs of each order.
import { elementBytes, elementOf, gemmRefusal, prepareGemm, type GemmVersion } from '../../kernels/gemm/gemm';
import { prepareScaledAdd } from '../../kernels/gemm/gemm';
import { fromHalfBits, toHalfBits } from '../../kernels/gpu/f16';
import { Random } from '../../kernels/gpu/random';
import type { Prepared } from '../../kernels/gpu/types';
import type { RunRecord } from '../../schemas/results';
import { claimSchema } from '../../schemas/claim';
import { checkOutput, matrixDeviceOf, pause, Resources, runOnce, timeRuns, type LabDevice } from '../harness';
import { makeRecord } from '../record';
import { timePlot } from '../specs';
import type { Lab, LabContext, SettingsOf } from '../types';
import { runsOf } from '../verdict';
import { before, costOf, FORWARD, outputsOf, sizeOf, stepsOf, VARIANTS, type LoraDims, type Matrix, type Step, type Variant } from './chain';
import { dARows, dBRows, mergedRows, yRows, type LoraInputs } from './reference';

const MAX_TOKENS = 16384;
const MAX_DIMENSION = 16384;
const MAX_RANK = 1024;
const MAX_POINTS = 12;
/** The adapter's scale s = α/r, with α = 2r as many recipes set it. */
export const SCALE = 2;
const SEED = 12;
/** Untimed base GEMMs for this long first, so that the first point is not timed at the clocks of an idle GPU. */
const CLOCK_WARMUP_SECONDS = 0.3;
/**
 * Errors are taken relative to the largest value in the rows checked: the rounding of a result (and of the
 * intermediates an order makes, xW before the adapter's share is added, say) goes with the size of what was
 * summed, not of an entry that cancelled to near zero. f32 sums of a few thousand terms stay far under 1e-4; in
 * f16 every operand, intermediate and result carries up to 2^-11 of it, and a chain rounds up to three times.
 */
const TOLERANCE = { f32: 1e-4, f16: 3e-3 };

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

export const versionOf = (dtype: string): GemmVersion => (dtype === 'f16' ? 'matrix' : 'tiled');

export function variantsOf(settings: Pick<LoraSettings, 'passes'>): readonly Variant[] {
  return settings.passes === 'forward' ? FORWARD : VARIANTS;
}

function pointsOf(settings: LoraSettings): LoraDims[] {
  const { dIn, dOut } = settings;
  return [...new Set(settings.rank)].flatMap((rank) => [...new Set(settings.tokens)].map((tokens) => ({ tokens, dIn, dOut, rank })));
}

function validate(settings: LoraSettings, gpu: LabDevice): string | null {
  const version = versionOf(settings.dtype);
  const device = matrixDeviceOf(gpu);
  for (const dims of pointsOf(settings)) {
    for (const variant of variantsOf(settings)) {
      for (const step of [...before(variant, dims, SCALE), ...stepsOf(variant, dims, SCALE)]) {
        if (step.kind !== 'gemm') continue;
        const refusal = gemmRefusal(device, step.shape, version);
        if (refusal) return `${variant} at T=${dims.tokens}, r=${dims.rank}: ${refusal.charAt(0).toLowerCase()}${refusal.slice(1)}`;
      }
    }
  }
  return null;
}

/** Random inputs, as f32 values and as the bytes the GPU gets (f16 rounded where the type is f16). */
function inputsOf(dims: LoraDims, dtype: 'f32' | 'f16'): { values: LoraInputs; stored: Record<keyof LoraInputs, ArrayBufferView> } {
  const random = new Random(SEED + dims.tokens + 7 * dims.rank);
  const gaussian = (matrix: Matrix, std: number) => {
    const [rows, cols] = sizeOf(matrix, dims);
    return random.fill(new Float32Array(rows * cols), { kind: 'gaussian', mean: 0, std });
  };
  const values: LoraInputs = {
    x: gaussian('x', 1),
    W: gaussian('W', 1 / Math.sqrt(dims.dIn)),
    A: gaussian('A', 1 / Math.sqrt(dims.dIn)),
    B: gaussian('B', 1 / Math.sqrt(dims.rank)),
    dY: gaussian('dY', 1),
  };
  if (dtype === 'f32') return { values, stored: values };
  const stored = {} as Record<keyof LoraInputs, ArrayBufferView>;
  for (const name of Object.keys(values) as (keyof LoraInputs)[]) {
    const bits = Uint16Array.from(values[name], toHalfBits);
    stored[name] = bits;
    values[name] = Float32Array.from(bits, fromHalfBits);
  }
  return { values, stored };
}

/** The sampled rows of a result: the first and the last. */
const sampledRows = (rows: number) => (rows === 1 ? [0] : [0, rows - 1]);

function expectedRows(matrix: Matrix, variant: Variant, inputs: LoraInputs, dims: LoraDims, rows: number[]): Float64Array {
  if (matrix === 'merged') return mergedRows(inputs, dims, SCALE, rows);
  if (matrix === 'dA') return dARows(inputs, dims, rows);
  if (matrix === 'dB') return dBRows(inputs, dims, rows);
  return yRows(inputs, dims, SCALE, rows, variant !== 'base');
}

/** Buffer sizes are whole words (an f16 matrix of odd size has a half word over). */
const paddedBytes = (bytes: number) => Math.max(4, Math.ceil(bytes / 4) * 4);

/** The GPU's buffers for one point, made as the steps first need them. */
class Matrices {
  private readonly buffers = new Map<Matrix, GPUBuffer>();
  constructor(
    private readonly gpu: Resources,
    private readonly dims: LoraDims,
    private readonly size: number,
    stored: Record<keyof LoraInputs, ArrayBufferView>,
  ) {
    for (const [name, data] of Object.entries(stored)) this.buffers.set(name as Matrix, gpu.from(data, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, name));
  }
  get(matrix: Matrix): GPUBuffer {
    let buffer = this.buffers.get(matrix);
    if (!buffer) {
      const [rows, cols] = sizeOf(matrix, this.dims);
      buffer = this.gpu.empty(paddedBytes(this.size * rows * cols), GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, matrix);
      this.buffers.set(matrix, buffer);
    }
    return buffer;
  }
}

function prepareSteps(device: GPUDevice, steps: Step[], matrices: Matrices, version: GemmVersion, dims: LoraDims, gpu: Resources): Prepared {
  const parts = steps.map((step) => {
    if (step.kind === 'add') {
      const [rows, cols] = sizeOf(step.y, dims);
      return gpu.own(prepareScaledAdd(device, elementOf(version), rows * cols, { x: matrices.get(step.x), y: matrices.get(step.y) }, step.scale));
    }
    const buffers = {
      a: matrices.get(step.a),
      b: matrices.get(step.b),
      c: matrices.get(step.c),
      ...(step.a2 && step.b2 && { a2: matrices.get(step.a2), b2: matrices.get(step.b2) }),
    };
    return gpu.own(prepareGemm(device, version, step.shape, buffers));
  });
  return {
    encode: (pass) => parts.forEach((part) => part.encode(pass)),
    outputs: {},
    dispatches: parts.reduce((sum, part) => sum + part.dispatches, 0),
    destroy: () => parts.forEach((part) => part.destroy()),
  };
}

async function* run(ctx: LabContext, settings: LoraSettings): AsyncIterable<RunRecord> {
  const { device } = ctx.gpu;
  const version = versionOf(settings.dtype);
  const element = elementOf(version);
  const size = elementBytes(element);
  const variants = variantsOf(settings);
  const points = pointsOf(settings);
  const total = points.length * variants.length;
  let done = 0;
  let warmed = false;
  for (const dims of points) {
    const { tokens, rank } = dims;
    ctx.progress(done, total, `inputs for T=${tokens}, r=${rank}`);
    const { values, stored } = inputsOf(dims, settings.dtype);
    await pause(ctx.signal);
    const gpu = new Resources(ctx, 'lora');
    try {
      const matrices = new Matrices(gpu, dims, size, stored);
      let baseSeconds: number | undefined;
      for (const variant of variants) {
        ctx.progress(done++, total, `${variant} at T=${tokens}, r=${rank}`);
        const first = before(variant, dims, SCALE);
        if (first.length > 0) await runOnce(ctx, prepareSteps(device, first, matrices, version, dims, gpu).encode, matrices.get('x'), 4, `lora ${variant} setup`);
        const steps = stepsOf(variant, dims, SCALE);
        const chain = prepareSteps(device, steps, matrices, version, dims, gpu);
        // Not a measurement: untimed passes until the clocks have risen (the check is the run's own, below).
        if (!warmed) {
          const warming = performance.now();
          do await timeRuns(ctx, { ok: true, maxRelError: 0 }, 'warming up', chain.encode, 1, { warmup: 0, reps: 3, method: 'submit' });
          while (performance.now() - warming < CLOCK_WARMUP_SECONDS * 1000);
          warmed = true;
        }
        let check = { ok: true, maxRelError: 0 };
        for (const [n, matrix] of outputsOf(variant).entries()) {
          const [rows, cols] = sizeOf(matrix, dims);
          const raw = await runOnce(ctx, n === 0 ? chain.encode : () => {}, matrices.get(matrix), paddedBytes(size * rows * cols), `lora ${variant}`);
          const all = size === 2 ? Float32Array.from(new Uint16Array(raw.buffer, raw.byteOffset, rows * cols), fromHalfBits) : raw;
          const sampled = sampledRows(rows);
          const expected = expectedRows(matrix, variant, values, dims, sampled);
          const actual = Float32Array.from(sampled.flatMap((row) => Array.from(all.subarray(row * cols, (row + 1) * cols))));
          const largest = expected.reduce((most, value) => Math.max(most, Math.abs(value)), 0);
          const result = checkOutput(actual, expected, { tolerance: TOLERANCE[settings.dtype], floor: largest }, `lora ${variant} ${matrix}`);
          check = { ok: check.ok && result.ok, maxRelError: Math.max(check.maxRelError, result.maxRelError) };
          await pause(ctx.signal);
        }
        const timing = await timeRuns(ctx, check, `The ${variant} variant at T=${tokens}, r=${rank}`, chain.encode);
        const seconds = timing.seconds.median;
        if (variant === 'base') baseSeconds = seconds;
        const cost = costOf(steps, dims, version, size);
        const baseFlops = costOf(stepsOf('base', dims, SCALE), dims, version, size).flops;
        yield makeRecord({
          lab: 'lora',
          variant,
          params: { tokens, dIn: dims.dIn, dOut: dims.dOut, rank, dtype: settings.dtype, kernel: version },
          timing,
          flops: cost.flops,
          bytes: cost.bytes,
          ceilings: ctx.ceilings,
          check,
          unit: settings.dtype === 'f16' ? 'f16-matrix' : 'fp32',
          extraDispatches: cost.dispatches - 1,
          extra: {
            flopsOverBase: cost.flops / baseFlops,
            ...(baseSeconds !== undefined && { timeOverBase: seconds / baseSeconds }),
            steps: steps.length,
          },
        });
      }
    } finally {
      gpu.destroy();
    }
  }
  ctx.progress(total, total, 'done');
}

/** Table 1 (arXiv 2106.09685): one forward pass of GPT-2 medium, batch 1, 128 tokens, on a Quadro RTX8000. */
const claims = claimSchema.array().parse([
  { what: 'forward pass, LoRA merged (as fine-tuned)', value: 19.8, unit: ' ms', conditions: { variant: 'merged' }, setting: 'GPT-2 medium, batch 1, 128 tokens', source: 'Table 1', version: 'arXiv 2106.09685' },
  { what: 'forward pass, adapter layers (AdapterL)', value: 23.9, unit: ' ms', conditions: { variant: 'unmerged' }, setting: 'GPT-2 medium, batch 1, 128 tokens', source: 'Table 1', version: 'arXiv 2106.09685' },
]);

const percent = (ratio: number) => `${ratio >= 1 ? '+' : '−'}${Math.abs((ratio - 1) * 100).toFixed(ratio < 1.1 && ratio > 0.9 ? 1 : 0)}%`;

/** Within this of the base layer's time, the merged layer counts as adding no latency (timing noise is a few %). */
const NO_LATENCY = 0.05;

/**
 * At the largest T of the run: the paper's claim first (merged, the adapter adds no latency), then what the order
 * of the chain cost: the fused adapter and x(AB) over the base layer, against their FLOPs.
 */
function verdict(records: RunRecord[], subject: string): string | null {
  for (const run of runsOf(records, ['tokens', 'rank'])) {
    const tokens = Math.max(...run.map((record) => Number(record.params['tokens'])));
    const at = run.filter((record) => record.params['tokens'] === tokens);
    const find = (variant: Variant) => at.find((record) => record.variant === variant);
    const [base, fused, wrong, merged] = [find('base'), find('fused'), find('x(AB)'), find('merged')];
    if (!base || !fused || !wrong || !merged) continue;
    const over = (record: RunRecord) => record.seconds.median / base.seconds.median;
    const { dIn, dOut, rank, dtype } = base.params;
    const [paperMerged, paperAdapter] = claims;
    const holds = Math.abs(over(merged) - 1) <= NO_LATENCY;
    return (
      `With T=${tokens} tokens, a ${dIn}×${dOut} layer and rank ${rank} in ${dtype}, ${subject} ran the layer with the adapter merged ` +
      `into its weight in ${over(merged).toFixed(2)}× the frozen layer's time: ${holds ? 'no added latency, as the paper claims' : 'not the paper\'s "no added latency"'} ` +
      `(it measured ${paperMerged!.value} ms merged against ${paperAdapter!.value} ms with adapter layers; ${paperMerged!.setting}; Hu et al., ` +
      `${paperMerged!.source}, ${paperMerged!.version}). Unmerged, the order decides: the fused adapter cost ${percent(over(fused))} ` +
      `(its FLOPs ${percent(fused.flops / base.flops)}), and the same adapter multiplied as x(AB) ${percent(over(wrong))} (FLOPs ${percent(wrong.flops / base.flops)}).`
    );
  }
  return null;
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
  validate,
  cost(settings) {
    const version = versionOf(settings.dtype);
    const size = elementBytes(elementOf(version));
    return pointsOf(settings).flatMap((dims) =>
      variantsOf(settings).map((variant) => {
        const cost = costOf(stepsOf(variant, dims, SCALE), dims, version, size);
        return { flops: cost.flops, bytes: cost.bytes, unit: settings.dtype === 'f16' ? ('f16-matrix' as const) : ('fp32' as const), extraDispatches: cost.dispatches - 1 };
      }),
    );
  },
  run,
  claims,
  verdict,
  figures: {
    kernel: 'Kernel',
    flopsOverBase: 'FLOPs over the base layer (×)',
    timeOverBase: 'Time over the base layer (×)',
    steps: 'Steps (GEMMs and adds)',
  },
  plots: [
    timePlot('Time of the forward pass against tokens, each variant with its bound', { field: 'params.tokens', label: 'tokens T' }, [
      'base',
      'unmerged',
      'fused',
      'x(AB)',
      'merged',
    ]),
    {
      id: 'order',
      title: "Each variant's time over the base layer's; dashed, its FLOPs over the base layer's (where time would be if only FLOPs counted)",
      x: { field: 'params.tokens', label: 'tokens T', log: true },
      y: { field: 'extra.timeOverBase', label: 'over the base layer (×)', log: true },
      variants: ['unmerged', 'fused', 'x(AB)', 'merged', 'backward', 'backward, xᵀ·dY first'],
      bound: 'extra.flopsOverBase',
    },
    {
      id: 'rank',
      title: "The adapter's overhead over the base layer against its rank",
      x: { field: 'params.rank', label: 'rank r', log: true },
      y: { field: 'extra.timeOverBase', label: 'over the base layer (×)' },
      variants: ['unmerged', 'fused', 'merged'],
      guides: [{ label: 'the base layer', fn: () => 1 }],
    },
  ],
};
