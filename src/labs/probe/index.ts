// The device probe (lab `probe`): this device's speed of light. Copy and read bandwidth, FP32 and f16 FMA
// rates, the f16 matrix rate with operands in registers and fed from workgroup memory, the launch floor, and copy
// bandwidth against working-set size, which shows the caches against DRAM. Each kernel is one of the probe's
// families, checked against its CPU reference before it is timed; the ceilings' points are timed twice, keeping
// the faster.
import { copy } from '../../kernels/copy/index';
import { flops as feedFlops, MAX_ITERATIONS as FEED_MAX_ITERATIONS } from '../../kernels/feed/feed';
import { feed } from '../../kernels/feed/index';
import { fma } from '../../kernels/fma/index';
import { flops as fmaFlops, STEPS_PER_TRIP } from '../../kernels/fma/fma';
import { WORD_BYTES } from '../../kernels/gpu/buffers';
import { matrix } from '../../kernels/matrix/index';
import { flops as matrixFlops, MAX_ITERATIONS as MATRIX_MAX_ITERATIONS, matrixRefusal, STEPS_PER_TRIP as MATRIX_STEPS_PER_TRIP } from '../../kernels/matrix/matrix';
import { read } from '../../kernels/read/index';
import type { Lab, LabDevice, LabPoint, LabVariant, SettingsOf } from '../types';
import { ceilingsSchema, type Ceilings, type RunRecord } from '../../schemas/results';
import { formatBandwidth, formatFlopRate, formatSeconds } from '../format';
import { withCaveats, type VerdictContext } from '../verdict';
import { defaultCeilingPlan, KiB, LAUNCH_EXTRA_DISPATCHES, LAUNCH_WORDS, MiB, planOf, sweepDispatches } from './plan';

export { defaultCeilingPlan, planOf, sweepDispatches, type CeilingPlan } from './plan';

const SEED = 20261122;
/** Timings of each ceiling's point, the fastest kept: a GPU coming out of idle (the H100 drops to 345 MHz) makes a first one slow. */
const CEILING_ROUNDS = 2;
/** The launch floor's pass of one dispatch, timed before its pass of 1 + LAUNCH_EXTRA_DISPATCHES and not recorded. */
const LAUNCH_ONE = 'launch, one dispatch';
/** The matrix units fed from workgroup memory, beside `matrix f16` (operands in registers). */
const FED = 'matrix f16 fed';

const params = [
  { name: 'copyMiB', label: 'Copy size', kind: 'int', default: 256, unit: 'MiB', min: 1, max: 16384, help: 'The copy’s source buffer (the destination is as large) and the read’s. Several times the L2 so DRAM is measured.' },
  { name: 'fmaThreads', label: 'FMA threads', kind: 'int', default: 2 ** 24, min: 1, max: 2 ** 28, help: 'Threads running 16 FMA chains each: many waves, so the last one costs little.' },
  { name: 'fmaIterations', label: 'FMA steps', kind: 'int', default: 512, min: STEPS_PER_TRIP, max: 65536, step: STEPS_PER_TRIP, help: `Steps of each chain, a multiple of ${STEPS_PER_TRIP}.` },
  { name: 'matrixSubgroups', label: 'Matrix subgroups', kind: 'int', default: 8448, min: 1, max: 65536, help: 'Subgroups running 8 chains of 16×16×16 matrix multiply-accumulates each, where the device offers subgroup matrices.' },
  { name: 'matrixIterations', label: 'Matrix steps', kind: 'int', default: 4096, min: MATRIX_STEPS_PER_TRIP, max: MATRIX_MAX_ITERATIONS, step: MATRIX_STEPS_PER_TRIP, help: `Steps of each matrix chain, a multiple of ${MATRIX_STEPS_PER_TRIP}.` },
  {
    name: 'feedWorkgroups',
    label: 'Fed matrix workgroups',
    kind: 'int',
    default: 1056,
    min: 1,
    max: 16384,
    help: 'Workgroups of 4 subgroups that load their 16×16 tiles from workgroup memory before every multiply, where the device offers subgroup matrices.',
  },
  { name: 'feedIterations', label: 'Fed matrix steps', kind: 'int', default: 2048, min: 1, max: FEED_MAX_ITERATIONS, help: 'Steps of each subgroup: 8 tiles loaded, 16 multiply-accumulates.' },
  {
    name: 'sweepKiB',
    label: 'Sweep working sets',
    kind: 'list',
    default: '256,1024,4096,16384,65536,262144,524288',
    unit: 'KiB',
    min: 1,
    max: 16 * MiB,
    help: 'Source + destination sizes of the bandwidth sweep.',
  },
  {
    name: 'sweepPassMiB',
    label: 'Sweep traffic per pass',
    kind: 'int',
    default: 64,
    unit: 'MiB',
    min: 1,
    max: 4096,
    help: 'Small working sets are copied several times (up to 256) in each timed pass, so a pass is not all launch latency.',
  },
] as const;

export type ProbeSettings = SettingsOf<typeof params>;

/**
 * The ceilings' points, one a kernel, each timed CEILING_ROUNDS times (the FMA's precisions apart, since their inputs
 * differ), then the sweep's: a copy of half of each working set, repeated in its pass. The compute points count no
 * bytes: they measure a rate.
 */
function pointsOf(settings: ProbeSettings): LabPoint[] {
  const plan = planOf(settings);
  const words = Math.floor(plan.copyBytes / WORD_BYTES);
  const fmaParams = { fmaThreads: settings.fmaThreads, fmaIterations: settings.fmaIterations };
  const fmaAt = `at ${settings.fmaThreads} threads × ${settings.fmaIterations} steps`;
  const ceiling = (variants: string[], shape: unknown, params: LabPoint['params'], label: string, cost?: LabPoint['cost']): LabPoint => ({
    shape, params, label, seed: SEED, variants, rounds: CEILING_ROUNDS, ...(cost && { cost }),
  });
  return [
    ceiling(['copy'], { words }, { copyMiB: settings.copyMiB }, `of ${settings.copyMiB} MiB`),
    ceiling(['read'], { words }, { copyMiB: settings.copyMiB }, `of ${settings.copyMiB} MiB`),
    ceiling(['fma fp32'], plan.fma, fmaParams, fmaAt, { flops: fmaFlops(plan.fma), bytes: 0 }),
    ceiling(['fma f16'], plan.fma, fmaParams, fmaAt, { flops: fmaFlops(plan.fma), bytes: 0 }),
    ceiling(['matrix f16'], plan.matrix, { matrixSubgroups: settings.matrixSubgroups, matrixIterations: settings.matrixIterations }, `at ${settings.matrixSubgroups} subgroups × ${settings.matrixIterations} steps`, {
      flops: matrixFlops(plan.matrix),
      bytes: 0,
    }),
    ceiling([FED], plan.feed, { feedWorkgroups: settings.feedWorkgroups, feedIterations: settings.feedIterations }, `at ${settings.feedWorkgroups} workgroups × ${settings.feedIterations} steps`, {
      flops: feedFlops(plan.feed),
      bytes: 0,
    }),
    ceiling([LAUNCH_ONE, 'launch'], { words: LAUNCH_WORDS, repeats: 1 + LAUNCH_EXTRA_DISPATCHES }, { dispatchesPerPass: 1 + LAUNCH_EXTRA_DISPATCHES }, 'of 1 KiB'),
    ...settings.sweepKiB.map((kib) => ({
      shape: { words: Math.floor((kib * KiB) / 2 / WORD_BYTES), repeats: sweepDispatches(kib * KiB, settings.sweepPassMiB * MiB) },
      params: { workingSetKiB: kib },
      label: `at ${kib} KiB`,
      seed: SEED + 1,
      variants: ['sweep'],
    })),
  ];
}

/**
 * The probe's kernels on this device: f16 FMA chains where it has shader-f16, matrix chains where it offers subgroup
 * matrices, and beside them the matrix units fed from workgroup memory where its workgroups hold them.
 */
function variantsOf(gpu: LabDevice): LabVariant[] {
  const f16 = gpu.features.has('shader-f16');
  const matrixUnits = matrixRefusal(gpu.features, gpu.info?.subgroupMatrixConfigs) === null;
  return [
    { label: LAUNCH_ONE, family: copy, version: 'copy', shape: { repeats: 1 }, baseline: true, hidden: true },
    { label: 'copy', family: copy, version: 'copy' },
    { label: 'read', family: read, version: 'read' },
    { label: 'fma fp32', family: fma, version: 'f32' },
    ...(f16 ? [{ label: 'fma f16', family: fma, version: 'f16' }] : []),
    ...(matrixUnits ? [{ label: 'matrix f16', family: matrix, version: 'matrix' }, { label: FED, family: feed, version: 'feed', optional: true }] : []),
    { label: 'launch', family: copy, version: 'copy' },
    { label: 'sweep', family: copy, version: 'copy' },
  ];
}

/** Which of the probe's records measures each rate ceiling, and how (the launch floor comes from its own record). */
const CEILING_OF: Record<Exclude<keyof Ceilings, 'launchSeconds'>, [variant: string, rate: (record: RunRecord) => number]> = {
  copyGBps: ['copy', (record) => record.achieved.gbps],
  readGBps: ['read', (record) => record.achieved.gbps],
  fp32Gflops: ['fma fp32', (record) => record.achieved.gflops],
  f16Gflops: ['fma f16', (record) => record.achieved.gflops],
  f16MatrixGflops: ['matrix f16', (record) => record.achieved.gflops],
  f16MatrixFedGflops: [FED, (record) => record.achieved.gflops],
};

/** This device's ceilings from the probe's records: each the fastest record of its kernel, the launch floor from its own; null where one is missing. */
export function ceilingsOfRecords(records: RunRecord[]): Ceilings | null {
  const best = (variant: string, rate: (record: RunRecord) => number) => Math.max(0, ...records.filter((record) => record.variant === variant).map(rate));
  const measured: Partial<Record<keyof Ceilings, number>> = {};
  for (const [key, [variant, rate]] of Object.entries(CEILING_OF)) {
    const value = best(variant, rate);
    if (value > 0) measured[key as keyof Ceilings] = value;
  }
  const launch = records.find((record) => record.variant === 'launch')?.extra?.['launchSeconds'];
  if (launch !== undefined) measured.launchSeconds = launch;
  const parsed = ceilingsSchema.safeParse(measured);
  return parsed.success ? parsed.data : null;
}

/** The ceilings in the reader's words, in the order the verdict says them, each with its unit (the matrix units' two after them). */
const CEILING_WORDS: [key: Exclude<keyof Ceilings, 'launchSeconds' | 'f16MatrixGflops' | 'f16MatrixFedGflops'>, words: string, format: (value: number) => string][] = [
  ['copyGBps', 'copy', (gbps) => formatBandwidth(gbps * 1e9)],
  ['readGBps', 'read', (gbps) => formatBandwidth(gbps * 1e9)],
  ['fp32Gflops', 'FP32 FMA', (gflops) => formatFlopRate(gflops * 1e9)],
  ['f16Gflops', 'f16 FMA', (gflops) => formatFlopRate(gflops * 1e9)],
];

/**
 * The matrix units' rates in words, or null where neither was measured: `f16 on the matrix units 655 TFLOP/s with
 * operands in registers but 80.6 TFLOP/s fed from workgroup memory through WebGPU`, the second what a real kernel
 * can reach.
 */
export function matrixUnitsInWords({ f16MatrixGflops: registers, f16MatrixFedGflops: fed }: Pick<Ceilings, 'f16MatrixGflops' | 'f16MatrixFedGflops'>): string | null {
  const rate = (gflops: number) => formatFlopRate(gflops * 1e9);
  const fedWords = fed ? `${rate(fed)} fed from workgroup memory through WebGPU` : null;
  if (registers && fedWords) return `f16 on the matrix units ${rate(registers)} with operands in registers but ${fedWords}`;
  if (registers) return `f16 on the matrix units ${rate(registers)}`;
  return fedWords && `f16 on the matrix units ${fedWords}`;
}

/** The ceilings a run measured, in one sentence (each the fastest of its records); then whether its sizes stand for the device. */
function verdict(records: RunRecord[], subject: string, context?: VerdictContext): string | null {
  const best = (key: keyof typeof CEILING_OF) => {
    const [variant, rate] = CEILING_OF[key];
    return Math.max(0, ...records.filter((record) => record.variant === variant).map(rate));
  };
  const parts = CEILING_WORDS.flatMap(([key, words, format]) => (best(key) > 0 ? [`${words} ${format(best(key))}`] : []));
  const matrixUnits = matrixUnitsInWords({ f16MatrixGflops: best('f16MatrixGflops') || undefined, f16MatrixFedGflops: best('f16MatrixFedGflops') || undefined });
  if (matrixUnits) parts.push(matrixUnits);
  const launch = records.find((record) => record.variant === 'launch')?.extra?.['launchSeconds'];
  if (launch !== undefined) parts.push(`a launch floor of ${formatSeconds(launch)} a dispatch`);
  if (parts.length === 0) return null;
  const list = parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : parts[0];
  return withCaveats([`The probe measured ${subject}'s ceilings: ${list}.`], records, context);
}

export const probe: Lab<typeof params> = {
  id: 'probe',
  title: 'Device probe: this GPU’s speed of light',
  description:
    'Measures the ceilings every lab’s bounds come from: copy bandwidth (a copy of 16-byte words, read + write ' +
    'counted, an even spread of up to 65536 words checked), read bandwidth (each workgroup sums a block of 16-byte ' +
    'words and writes one number, every sum checked: reading alone can beat a copy, so every bound uses the faster ' +
    'of the two), the FP32 FMA rate (16 independent dependent-FMA chains per thread, checked against a CPU evaluation), ' +
    'the f16 rate where the device has shader-f16, the f16 matrix rate (the tensor cores, through subgroup matrices: 8 ' +
    'chains of 16×16×16 multiply-accumulates per subgroup, exact by construction and checked) where the device offers ' +
    'them, and beside it the rate at which WebGPU can feed those units from workgroup memory, as any real matrix ' +
    'product or attention kernel must (each subgroup loads its 4×4 tiles of 16×16 from workgroup memory at every ' +
    'step and multiplies them, exact and checked), the launch floor (what one more dispatch adds to a pass when it ' +
    'waits for the one before), and copy bandwidth against working-set size: the smallest sets are too little work to hide the launch floor; those that fit the ' +
    'caches can beat DRAM (their share of the DRAM bound can go above 1); large ones show the DRAM ceiling. Each ' +
    'kernel is checked before it is timed, and each ceiling is the faster of two timings. Bounds are this device’s ' +
    'ceilings as known when the run starts.',
  params,
  quick: { copyMiB: 1, fmaThreads: 4096, fmaIterations: 64, matrixSubgroups: 64, matrixIterations: 64, feedWorkgroups: 2, feedIterations: 16, sweepKiB: '64,256', sweepPassMiB: 1 },
  points: pointsOf,
  variants: (_settings, gpu) => variantsOf(gpu),
  extra({ variant, bytes, dispatches, seconds, baseline }): Record<string, number> {
    if (variant.label === 'copy' || variant.label === 'read') return { workingSetBytes: bytes };
    if (variant.label === 'sweep') return { workingSetBytes: bytes / dispatches, dispatchesPerPass: dispatches };
    // The extra time of the long pass over its extra dispatches: what one more costs.
    if (variant.label === 'launch' && baseline) return { launchSeconds: Math.max(0, (seconds - baseline.seconds.median) / (dispatches - 1)) };
    return {};
  },
  figures: { workingSetBytes: 'Working set (bytes)', launchSeconds: 'Launch floor (s)', dispatchesPerPass: 'Dispatches per pass', workingSetKiB: 'Working set (KiB)' },
  verdict,
  ceilingsFrom(records, params, gpu) {
    // Tiny sizes (the quick preset) mostly time launches on a real GPU: only a probe at least as large as the
    // default plan may stand for this device's ceilings.
    const plan = defaultCeilingPlan(gpu);
    const small = (name: string, least: number) => Number(params[name]) < least;
    if (
      small('copyMiB', plan.copyBytes / MiB) ||
      small('fmaThreads', plan.fma.threads) ||
      small('matrixSubgroups', plan.matrix.subgroups) ||
      small('feedWorkgroups', plan.feed.workgroups)
    ) {
      return null;
    }
    return ceilingsOfRecords(records);
  },
  plots: [
    {
      id: 'sweep',
      title: 'Copy bandwidth against working set (read + write)',
      x: { field: 'params.workingSetKiB', label: 'Working set, source and destination', unit: 'KiB', log: true },
      y: { field: 'achieved.gbps', label: 'Copy bandwidth', unit: 'GB/s', log: true },
      variants: ['sweep'],
    },
  ],
};
