// Performers (Choromanski et al., 2020): FAVOR+ approximates softmax attention with m positive random features, so
// attention costs time linear in N. Two sweeps: the speed of FAVOR+ against the notebook's exact tiled attention as
// N grows (src/kernels/favor, src/kernels/attention), and the error it pays against exact attention as m grows,
// with orthogonal and independent features, and as the inputs' scale (a temperature) grows.
import { prepareTiledAttention, tiledRefusal } from '../../kernels/attention/attention';
import { attentionRows } from '../../kernels/attention/attention.reference';
import { attentionFlops, fewestBytes, type AttentionShape } from '../../kernels/attention/cost';
import { favorBytes, favorFlops, favorRefusal, prepareFavor, withOnes, type FavorShape } from '../../kernels/favor/favor';
import { favorRows } from '../../kernels/favor/favor.reference';
import { halfSquaredNorms, randomFeatures, type FeatureKind } from '../../kernels/favor/features';
import { Random } from '../../kernels/gpu/random';
import type { GpuContext, Prepared } from '../../kernels/gpu/types';
import type { RunRecord } from '../../schemas/results';
import { checkOutput, pause, Resources, runOnce, timeRuns } from '../harness';
import { timePlot } from '../specs';
import { makeRecord } from '../record';
import type { Lab, LabContext, SettingsOf } from '../types';
import { runsOf } from '../verdict';

const MAX_SEQ_LEN = 65536;
const MAX_FEATURES = 4096;
const MAX_POINTS = 10;
/** Draws of the random features per accuracy point: the error's mean and spread are over these. */
export const SEEDS = 5;
/** Rows of the first head whose error is measured (and, for FAVOR+'s own check, compared with the CPU). */
const ERROR_ROWS = 64;
const SEED = 21;
/** f32 against float64, outputs of about 1: far under this. */
const TOLERANCE = 1e-4;
const KINDS: FeatureKind[] = ['orthogonal', 'independent'];

const params = [
  {
    name: 'sweeps',
    label: 'Sweeps',
    kind: 'choice',
    default: 'both',
    choices: [
      { value: 'both', label: 'speed and accuracy' },
      { value: 'speed', label: 'speed: FAVOR+ against exact attention over N' },
      { value: 'accuracy', label: 'accuracy: the error over m and over the inputs\' scale' },
    ],
  },
  {
    name: 'seqLen',
    label: 'Sequence lengths (N)',
    help: 'For the speed sweep.',
    kind: 'list',
    integer: true,
    default: '1024, 4096, 16384',
    min: 1,
    max: MAX_SEQ_LEN,
    maxLength: MAX_POINTS,
    unit: 'tokens',
  },
  { name: 'heads', label: 'Heads (H)', kind: 'int', default: 8, min: 1, max: 64 },
  {
    name: 'headDim',
    label: 'Head dimension (d)',
    kind: 'choice',
    default: '64',
    choices: [
      { value: '64', label: '64' },
      { value: '128', label: '128' },
    ],
  },
  { name: 'features', label: 'Features (m)', kind: 'int', default: 256, min: 1, max: MAX_FEATURES, help: 'For the speed sweep and the scale sweep.' },
  {
    name: 'featureSweep',
    label: 'Feature sweep (m)',
    help: 'For the accuracy sweep.',
    kind: 'list',
    integer: true,
    default: '16, 64, 256, 1024',
    min: 1,
    max: MAX_FEATURES,
    maxLength: MAX_POINTS,
  },
  { name: 'accuracyLength', label: 'Accuracy at N', kind: 'int', default: 1024, min: 1, max: 16384, unit: 'tokens' },
  {
    name: 'scales',
    label: 'Input scales',
    kind: 'list',
    default: '0.5, 1, 1.5, 2',
    min: 0.01,
    max: 8,
    maxLength: MAX_POINTS,
    help: 'q and k multiplied by this: larger scales make attention more peaked, where random features do worse.',
  },
] as const;

export type PerformerSettings = SettingsOf<typeof params>;

const speedOn = (settings: PerformerSettings) => settings.sweeps !== 'accuracy';
const accuracyOn = (settings: PerformerSettings) => settings.sweeps !== 'speed';

function favorShape(settings: PerformerSettings, seqLen: number, features = settings.features): FavorShape {
  return { batch: 1, heads: settings.heads, seqLen, headDim: Number(settings.headDim), features };
}

const exactShape = (shape: FavorShape): AttentionShape => ({ batch: shape.batch, heads: shape.heads, seqLen: shape.seqLen, headDim: shape.headDim, causal: false });

function validate(settings: PerformerSettings, gpu: Pick<GpuContext, 'limits' | 'features'>): string | null {
  const shapes = [
    ...(speedOn(settings) ? settings.seqLen.map((n) => favorShape(settings, n)) : []),
    ...(accuracyOn(settings) ? [...settings.featureSweep, settings.features].map((m) => favorShape(settings, settings.accuracyLength, m)) : []),
  ];
  for (const shape of shapes) {
    const refusal = favorRefusal(gpu.limits, shape) ?? tiledRefusal(gpu.limits, exactShape(shape));
    if (refusal) return `At N=${shape.seqLen}, m=${shape.features}: ${refusal}`;
  }
  return null;
}

/** Gaussian inputs for one shape: q and k (and their FAVOR+ form, scaled by `scale`·d^-¼), v and [V | 1]. */
function inputsOf(shape: FavorShape, scale: number) {
  const { batch, heads, seqLen: n, headDim: d } = shape;
  const random = new Random(SEED + n);
  const size = batch * heads * n * d;
  const [q, k, v] = [0, 1, 2].map(() => random.fill(new Float32Array(size), { kind: 'gaussian', mean: 0, std: scale })) as [Float32Array, Float32Array, Float32Array];
  v.forEach((x, i) => (v[i] = x / scale));
  const quarter = d ** -0.25;
  return { q, k, v, v1: withOnes(v, batch * heads * n, d), qs: q.map((x) => x * quarter), ks: k.map((x) => x * quarter) };
}

type Inputs = ReturnType<typeof inputsOf>;

/** FAVOR+ on `inputs` with the features `omega`, made through `gpu` (freed with it). */
function favorOn(ctx: LabContext, gpu: Resources, shape: FavorShape, inputs: Inputs, omega: Float32Array): { kernel: Prepared; o: GPUBuffer } {
  const { batch, heads, seqLen: n, headDim: d, features: m } = shape;
  const o = gpu.empty(4 * batch * heads * n * d, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'o');
  const buffers = {
    q: gpu.from(inputs.qs, GPUBufferUsage.STORAGE, 'q'),
    k: gpu.from(inputs.ks, GPUBufferUsage.STORAGE, 'k'),
    v1: gpu.from(inputs.v1, GPUBufferUsage.STORAGE, 'v1'),
    omega: gpu.from(omega, GPUBufferUsage.STORAGE, 'omega'),
    shift: gpu.from(halfSquaredNorms(omega, m, d), GPUBufferUsage.STORAGE, 'shift'),
    o,
  };
  return { kernel: gpu.own(prepareFavor(ctx.gpu.device, shape, buffers)), o };
}

/** The first min(N, 64) rows of head 0. */
const errorRows = (n: number) => [...Array(Math.min(n, ERROR_ROWS)).keys()];

const relativeError = (actual: ArrayLike<number>, expected: ArrayLike<number>) => {
  let difference = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    difference += (actual[i]! - expected[i]!) ** 2;
    norm += expected[i]! ** 2;
  }
  return Math.sqrt(difference / norm);
};

async function* speed(ctx: LabContext, settings: PerformerSettings, step: () => number, total: number): AsyncIterable<RunRecord> {
  for (const n of [...new Set(settings.seqLen)].sort((a, b) => a - b)) {
    const shape = favorShape(settings, n);
    const inputs = inputsOf(shape, 1);
    const rows = errorRows(n);
    const omega = randomFeatures(shape.features, shape.headDim, 'orthogonal', SEED);
    let exactSeconds: number | undefined;
    for (const variant of ['exact (tiled)', 'FAVOR+'] as const) {
      ctx.progress(step(), total, `${variant} at N=${n}`);
      const gpu = new Resources(ctx, 'performer');
      try {
        const size = shape.batch * shape.heads * n * shape.headDim;
        let kernel: Prepared;
        let o: GPUBuffer;
        let expected: Float64Array;
        if (variant === 'FAVOR+') {
          ({ kernel, o } = favorOn(ctx, gpu, shape, inputs, omega));
          expected = favorRows(shape, inputs.qs, inputs.ks, inputs.v, omega, { b: 0, h: 0 }, rows);
        } else {
          o = gpu.empty(4 * size, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'o');
          const buffers = { q: gpu.from(inputs.q, GPUBufferUsage.STORAGE, 'q'), k: gpu.from(inputs.k, GPUBufferUsage.STORAGE, 'k'), v: gpu.from(inputs.v, GPUBufferUsage.STORAGE, 'v'), o };
          kernel = gpu.own(prepareTiledAttention(ctx.gpu.device, exactShape(shape), buffers));
          expected = attentionRows(exactShape(shape), inputs.q, inputs.k, inputs.v, { b: 0, h: 0 }, rows);
        }
        const out = await runOnce(ctx, kernel.encode, o, 4 * rows.length * shape.headDim, `performer ${variant}`);
        const check = checkOutput(out, expected, { tolerance: TOLERANCE, floor: 1 }, `performer ${variant} at N=${n}`);
        await pause(ctx.signal);
        const timing = await timeRuns(ctx, check, `${variant} at N=${n}`, kernel.encode);
        if (variant !== 'FAVOR+') exactSeconds = timing.seconds.median;
        yield makeRecord({
          lab: 'performer',
          variant,
          params: { seqLen: n, heads: shape.heads, headDim: shape.headDim, features: shape.features, kind: 'orthogonal', scale: 1 },
          timing,
          flops: variant === 'FAVOR+' ? favorFlops(shape) : attentionFlops(exactShape(shape)),
          bytes: fewestBytes(exactShape(shape), 4),
          ceilings: ctx.ceilings,
          check,
          unit: 'fp32',
          extraDispatches: kernel.dispatches - 1,
          extra: {
            ...(variant === 'FAVOR+' && { bytesMoved: favorBytes(shape) }),
            ...(variant === 'FAVOR+' && exactSeconds !== undefined && { speedupOverExact: exactSeconds / timing.seconds.median }),
          },
        });
      } finally {
        gpu.destroy();
      }
    }
  }
}

/**
 * One accuracy point: FAVOR+ with `kind` features, `m` of them, at input scale `scale`, for SEEDS draws of the
 * features; the first draw is checked against the float64 FAVOR+ and timed, every draw's error is measured against
 * exact attention.
 */
async function accuracyPoint(ctx: LabContext, settings: PerformerSettings, kind: FeatureKind, m: number, scale: number, variant: string): Promise<RunRecord> {
  const shape = favorShape(settings, settings.accuracyLength, m);
  const inputs = inputsOf(shape, scale);
  const rows = errorRows(shape.seqLen);
  const exact = attentionRows(exactShape(shape), inputs.q, inputs.k, inputs.v, { b: 0, h: 0 }, rows);
  const errors: number[] = [];
  let check = { ok: true, maxRelError: 0 };
  let timing;
  for (let seed = 0; seed < SEEDS; seed++) {
    const omega = randomFeatures(m, shape.headDim, kind, SEED + 1000 * seed);
    const gpu = new Resources(ctx, 'performer');
    try {
      const { kernel, o } = favorOn(ctx, gpu, shape, inputs, omega);
      const out = await runOnce(ctx, kernel.encode, o, 4 * rows.length * shape.headDim, `performer ${variant}`);
      errors.push(relativeError(out, exact));
      if (seed === 0) {
        const expected = favorRows(shape, inputs.qs, inputs.ks, inputs.v, omega, { b: 0, h: 0 }, rows);
        check = checkOutput(out, expected, { tolerance: TOLERANCE, floor: 1 }, `performer ${variant} at m=${m}`);
        timing = await timeRuns(ctx, check, `FAVOR+ with ${m} ${kind} features`, kernel.encode);
      }
    } finally {
      gpu.destroy();
    }
    await pause(ctx.signal);
  }
  const mean = errors.reduce((a, b) => a + b) / errors.length;
  const spread = Math.sqrt(errors.reduce((sum, e) => sum + (e - mean) ** 2, 0) / errors.length);
  return makeRecord({
    lab: 'performer',
    variant,
    params: { seqLen: shape.seqLen, heads: shape.heads, headDim: shape.headDim, features: m, kind, scale },
    timing: timing!,
    flops: favorFlops(shape),
    bytes: fewestBytes(exactShape(shape), 4),
    ceilings: ctx.ceilings,
    check,
    unit: 'fp32',
    extraDispatches: 0,
    extra: { relError: mean, relErrorSpread: spread, seeds: SEEDS },
  });
}

async function* run(ctx: LabContext, settings: PerformerSettings): AsyncIterable<RunRecord> {
  const ms = [...new Set(settings.featureSweep)].sort((a, b) => a - b);
  const scales = [...new Set(settings.scales)].sort((a, b) => a - b);
  const total = (speedOn(settings) ? 2 * new Set(settings.seqLen).size : 0) + (accuracyOn(settings) ? KINDS.length * (ms.length + scales.length) : 0);
  let done = 0;
  const step = () => done++;
  if (speedOn(settings)) yield* speed(ctx, settings, step, total);
  if (accuracyOn(settings)) {
    for (const kind of KINDS) {
      for (const m of ms) {
        ctx.progress(step(), total, `${kind} features, m=${m}`);
        yield await accuracyPoint(ctx, settings, kind, m, 1, kind);
      }
      for (const scale of scales) {
        ctx.progress(step(), total, `${kind} features at scale ${scale}`);
        yield await accuracyPoint(ctx, settings, kind, settings.features, scale, `${kind}, scaled`);
      }
    }
  }
  ctx.progress(total, total, 'done');
}

/**
 * Both halves of the trade, in the reader's numbers: where FAVOR+ overtook exact attention (or that it did not),
 * against the crossover its FLOPs predict (N = 2m), and the error orthogonal and independent features paid at the
 * largest m.
 */
function verdict(records: RunRecord[], subject: string): string | null {
  for (const run of runsOf(records, ['seqLen', 'features', 'scale'])) {
    const favor = run.filter((record) => record.variant === 'FAVOR+').sort((a, b) => Number(a.params['seqLen']) - Number(b.params['seqLen']));
    const exact = (n: unknown) => run.find((record) => record.variant === 'exact (tiled)' && record.params['seqLen'] === n);
    const parts: string[] = [];
    if (favor.length > 0) {
      const m = Number(favor[0]!.params['features']);
      const wins = favor.find((record) => (exact(record.params['seqLen'])?.seconds.median ?? 0) > record.seconds.median);
      const longest = favor.at(-1)!;
      const ratio = (record: RunRecord) => exact(record.params['seqLen'])!.seconds.median / record.seconds.median;
      parts.push(
        wins
          ? `With m=${m} features, ${subject} ran FAVOR+ faster than exact attention from N=${wins.params['seqLen']} on (${ratio(wins).toFixed(2)}× there, ${ratio(longest).toFixed(2)}× at N=${longest.params['seqLen']}); their FLOPs cross at N=${2 * m}.`
          : `With m=${m} features, ${subject} ran exact attention faster than FAVOR+ at every N up to ${longest.params['seqLen']} (FAVOR+ took ${(1 / ratio(longest)).toFixed(2)}× its time there); their FLOPs cross at N=${2 * m}.`,
      );
    }
    const largest = (kind: string) =>
      run.filter((record) => record.variant === kind).sort((a, b) => Number(b.params['features']) - Number(a.params['features']))[0];
    const [orthogonal, independent] = [largest('orthogonal'), largest('independent')];
    if (orthogonal && independent) {
      const error = (record: RunRecord) => `${(100 * record.extra!['relError']!).toPrecision(2)}%`;
      parts.push(
        `${parts.length ? 'Its' : `On ${subject} the`} output was off exact attention by ${error(orthogonal)} with ${orthogonal.params['features']} orthogonal features ` +
          `and ${error(independent)} with independent ones (mean over ${SEEDS} draws).`,
      );
    }
    if (parts.length > 0) return parts.join(' ');
  }
  return null;
}

export const performer: Lab<typeof params> = {
  id: 'performer',
  title: 'Performers: FAVOR+ against exact attention',
  description:
    'FAVOR+ replaces softmax attention with m positive random features: φ(x) = exp(ωᵀx − ‖x‖²/2)/√m for each of m ' +
    'random vectors ω, and attention becomes φ(Q)(φ(K)ᵀV), normalized, which costs time linear in N instead of ' +
    'quadratic. Its four matrix products run on this notebook\'s f32 matrix product; the exact side is its tiled ' +
    'attention kernel. The speed sweep times both as N grows, against their bounds. The accuracy sweep measures how ' +
    'far FAVOR+\'s output is from exact attention (relative error over 64 rows, mean and spread over five draws of ' +
    'the features), with orthogonal features (blocks of orthogonal directions) and independent ones, as m grows and as ' +
    'the inputs are scaled up (sharper attention). Every FAVOR+ result is also checked against the same computation ' +
    'on the CPU.',
  params,
  presets: [
    { label: 'Both sweeps, 8 heads, d = 64, m = 256', params: { sweeps: 'both', seqLen: '1024, 4096, 16384', heads: 8, headDim: '64', features: 256 } },
    { label: 'Speed to N = 64K', params: { sweeps: 'speed', seqLen: '1024, 4096, 16384, 65536', heads: 8, headDim: '64', features: 256 } },
    { label: 'Accuracy, m from 16 to 1024', params: { sweeps: 'accuracy', featureSweep: '16, 32, 64, 128, 256, 512, 1024', accuracyLength: 1024 } },
  ],
  quick: { sweeps: 'both', seqLen: '37, 130', heads: 1, headDim: '64', features: 16, featureSweep: '8, 32', accuracyLength: 50, scales: '1, 2' },
  validate,
  cost(settings) {
    const speedCosts = speedOn(settings)
      ? settings.seqLen.flatMap((n) => {
          const shape = favorShape(settings, n);
          const bytes = fewestBytes(exactShape(shape), 4);
          return [
            { flops: favorFlops(shape), bytes, unit: 'fp32' as const, extraDispatches: 6 },
            { flops: attentionFlops(exactShape(shape)), bytes, unit: 'fp32' as const, extraDispatches: 0 },
          ];
        })
      : [];
    const accuracyCosts = accuracyOn(settings)
      ? [...settings.featureSweep, settings.features].map((m) => {
          const shape = favorShape(settings, settings.accuracyLength, m);
          return { flops: favorFlops(shape), bytes: fewestBytes(exactShape(shape), 4), unit: 'fp32' as const, extraDispatches: 6 };
        })
      : [];
    return [...speedCosts, ...accuracyCosts];
  },
  run,
  verdict,
  figures: {
    kind: 'Features drawn',
    scale: 'Input scale',
    bytesMoved: 'Bytes FAVOR+ moves (counted from its steps)',
    speedupOverExact: 'Speedup over exact attention (×)',
    relError: 'Relative error against exact attention (mean)',
    relErrorSpread: 'Relative error, spread (standard deviation)',
    seeds: 'Draws of the features',
  },
  plots: [
    timePlot('Time against sequence length: FAVOR+ and exact attention, each with its bound', { field: 'params.seqLen', label: 'sequence length N' }, [
      'FAVOR+',
      'exact (tiled)',
    ]),
    {
      id: 'features',
      title: 'Error against exact attention as the random features grow',
      x: { field: 'params.features', label: 'random features m', log: true },
      y: { field: 'extra.relError', label: 'relative error', log: true },
      variants: ['orthogonal', 'independent'],
    },
    {
      id: 'scale',
      title: 'Error as the inputs are scaled up (sharper attention)',
      x: { field: 'params.scale', label: 'input scale' },
      y: { field: 'extra.relError', label: 'relative error', log: true },
      variants: ['orthogonal, scaled', 'independent, scaled'],
    },
  ],
};
