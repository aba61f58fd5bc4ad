// The device probe (lab `probe`): this device's speed of light. Copy and read bandwidth, FP32 and f16 FMA
// rates, and copy bandwidth against working-set size, which shows the caches against DRAM.
import { checkCopy } from '../../kernels/copy/copy';
import { WORD_BYTES } from '../../kernels/gpu/buffers';
import { flops as fmaFlops, fmaGrid, STEPS_PER_TRIP } from '../../kernels/fma/fma';
import {
  bytes as matrixBytes,
  flops as matrixFlops,
  MAX_ITERATIONS as MATRIX_MAX_ITERATIONS,
  matrixRefusal,
  STEPS_PER_TRIP as MATRIX_STEPS_PER_TRIP,
} from '../../kernels/matrix/matrix';
import { checkBuffer, checkWorkgroups, firstRefusal } from '../../kernels/gpu/limits';
import { makeRecord } from '../record';
import { checkRead } from '../../kernels/read/read';
import type { Lab, SettingsOf } from '../types';
import { ceilingsSchema, type Ceilings, type RunRecord } from '../../schemas/results';
import { defaultCeilingPlan, LAUNCH_EXTRA_DISPATCHES, measureCeilingsDetailed, type CeilingPlan } from './ceilings';

export { defaultCeilingPlan, measureCeilings, type CeilingPlan } from './ceilings';
import { createCopyBuffers, measureCopy } from './measure';

const KiB = 1024;
const MiB = 2 ** 20;
const MAX_SWEEP_DISPATCHES = 256;

const params = [
  { name: 'copyMiB', label: 'Copy size', kind: 'int', default: 256, unit: 'MiB', min: 1, max: 16384, help: 'The copy’s source buffer (the destination is as large) and the read’s. Several times the L2 so DRAM is measured.' },
  { name: 'fmaThreads', label: 'FMA threads', kind: 'int', default: 2 ** 24, min: 1, max: 2 ** 28, help: 'Threads running 16 FMA chains each: many waves, so the last one costs little.' },
  { name: 'fmaIterations', label: 'FMA steps', kind: 'int', default: 512, min: STEPS_PER_TRIP, max: 65536, step: STEPS_PER_TRIP, help: `Steps of each chain, a multiple of ${STEPS_PER_TRIP}.` },
  { name: 'matrixSubgroups', label: 'Matrix subgroups', kind: 'int', default: 8448, min: 1, max: 65536, help: 'Subgroups running 8 chains of 16×16×16 matrix multiply-accumulates each, where the device offers subgroup matrices.' },
  { name: 'matrixIterations', label: 'Matrix steps', kind: 'int', default: 4096, min: MATRIX_STEPS_PER_TRIP, max: MATRIX_MAX_ITERATIONS, step: MATRIX_STEPS_PER_TRIP, help: `Steps of each matrix chain, a multiple of ${MATRIX_STEPS_PER_TRIP}.` },
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

export function planOf(settings: Pick<ProbeSettings, 'copyMiB' | 'fmaThreads' | 'fmaIterations' | 'matrixSubgroups' | 'matrixIterations'>): CeilingPlan {
  return {
    copyBytes: settings.copyMiB * MiB,
    fma: { threads: settings.fmaThreads, iterations: settings.fmaIterations },
    matrix: { subgroups: settings.matrixSubgroups, iterations: settings.matrixIterations },
  };
}

/** Copy dispatches in one timed pass of the sweep for a working set of `bytes`, so the pass carries about `passBytes`. */
export function sweepDispatches(bytes: number, passBytes: number): number {
  return Math.max(1, Math.min(MAX_SWEEP_DISPATCHES, Math.ceil(passBytes / bytes)));
}

/** Which of the probe's records measures each rate ceiling, and how (the launch floor comes from its own record). */
const CEILING_OF: Record<Exclude<keyof Ceilings, 'launchSeconds'>, [variant: string, rate: (record: RunRecord) => number]> = {
  copyGBps: ['copy', (record) => record.achieved.gbps],
  readGBps: ['read', (record) => record.achieved.gbps],
  fp32Gflops: ['fma fp32', (record) => record.achieved.gflops],
  f16Gflops: ['fma f16', (record) => record.achieved.gflops],
  f16MatrixGflops: ['matrix f16', (record) => record.achieved.gflops],
};

export const probe: Lab<typeof params> = {
  id: 'probe',
  title: 'Device probe: this GPU’s speed of light',
  description:
    'Measures the ceilings every lab’s bounds come from: copy bandwidth (a copy of 16-byte words, read + write ' +
    'counted, every word checked), read bandwidth (each workgroup sums a block of 16-byte words and writes one ' +
    'number, every sum checked: reading alone can beat a copy, so every bound uses the faster of the two), the ' +
    'FP32 FMA rate (16 independent dependent-FMA chains per thread, checked against a CPU evaluation), the f16 ' +
    'rate where the device has shader-f16, the f16 matrix rate (the tensor cores, through subgroup matrices: 8 chains ' +
    'of 16×16×16 multiply-accumulates per subgroup, exact by construction and checked) where the device offers them, ' +
    'the launch floor (what one more dispatch adds to a pass when it waits for the one before), and copy bandwidth ' +
    'against working-set size: the smallest sets are too little work to hide the launch floor; those that fit the ' +
    'caches can beat DRAM (their share of the DRAM bound can go above 1); large ones show the DRAM ceiling.',
  params,
  quick: { copyMiB: 1, fmaThreads: 4096, fmaIterations: 64, matrixSubgroups: 64, matrixIterations: 64, sweepKiB: '64,256', sweepPassMiB: 1 },
  validate(params, gpu) {
    const plan = planOf(params);
    if (plan.fma.iterations % STEPS_PER_TRIP !== 0) return `FMA steps (fmaIterations) must be a multiple of ${STEPS_PER_TRIP}; received ${plan.fma.iterations}`;
    if (plan.matrix.iterations % MATRIX_STEPS_PER_TRIP !== 0) return `Matrix steps (matrixIterations) must be a multiple of ${MATRIX_STEPS_PER_TRIP}; received ${plan.matrix.iterations}`;
    const sweepBytes = params.sweepKiB.map((kib) => kib * KiB);
    const largestWords = Math.floor(Math.max(plan.copyBytes, ...sweepBytes.map((bytes) => bytes / 2)) / WORD_BYTES);
    return firstRefusal(
      checkCopy(gpu.limits, { words: largestWords }),
      checkRead(gpu.limits, { words: Math.floor(plan.copyBytes / WORD_BYTES) }),
      checkBuffer(gpu.limits, plan.fma.threads * 4, 'the FMA output'),
      checkWorkgroups(gpu.limits, fmaGrid(plan.fma.threads, 256).y, 'the FMA grid’s rows'),
      matrixRefusal(gpu.features, gpu.info?.subgroupMatrixConfigs) === null ? checkBuffer(gpu.limits, matrixBytes(plan.matrix), 'the matrix chains’ output') : null,
    );
  },
  cost(settings, gpu) {
    const plan = planOf(settings);
    const copy = { flops: 0, bytes: 2 * plan.copyBytes, unit: 'fp32' as const, extraDispatches: 0 };
    const sweep = settings.sweepKiB.map((kib) => ({ ...copy, bytes: kib * KiB, runsPerPass: sweepDispatches(kib * KiB, settings.sweepPassMiB * MiB) }));
    // Copy, read, FMA (fp32, and f16 bounded as fp32: no faster), the matrix chains where offered: each a timed point.
    const compute = { ...copy, bytes: 0 };
    const matrix = matrixRefusal(gpu.features, gpu.info?.subgroupMatrixConfigs) === null ? [{ ...compute, flops: matrixFlops(plan.matrix), unit: 'f16-matrix' as const }] : [];
    return [copy, { ...copy, bytes: plan.copyBytes }, { ...compute, flops: fmaFlops(plan.fma) }, { ...compute, flops: fmaFlops(plan.fma) }, ...matrix, ...sweep];
  },
  async *run(ctx, params) {
    const plan = planOf(params);
    const sweepBytes = params.sweepKiB.map((kib) => kib * KiB);
    const steps = 4 + sweepBytes.length;
    let step = 0;
    ctx.progress(step, steps, 'copy, read and FMA ceilings');
    const timing = { ...ctx.timing, signal: ctx.signal };
    const measured = await measureCeilingsDetailed(ctx.gpu, timing, plan);
    const { ceilings } = measured;
    step += 4;
    const common = { lab: 'probe', ceilings };
    yield makeRecord({
      ...common,
      variant: 'copy',
      params: { copyMiB: plan.copyBytes / MiB },
      timing: measured.copy.timing,
      flops: 0,
      bytes: measured.copy.bytes,
      check: measured.copy.check,
      unit: 'fp32',
      extraDispatches: 0,
      extra: { workingSetBytes: measured.copy.bytes },
    });
    yield makeRecord({
      ...common,
      variant: 'read',
      params: { copyMiB: plan.copyBytes / MiB },
      timing: measured.read.timing,
      flops: 0,
      bytes: measured.read.bytes,
      check: measured.read.check,
      unit: 'fp32',
      extraDispatches: 0,
      extra: { workingSetBytes: measured.read.bytes },
    });
    const fmaParams = { fmaThreads: plan.fma.threads, fmaIterations: plan.fma.iterations };
    yield makeRecord({ ...common, variant: 'fma fp32', params: fmaParams, timing: measured.fp32.timing, flops: measured.fp32.flops, bytes: 0, check: measured.fp32.check, unit: 'fp32', extraDispatches: 0 });
    if (measured.f16) {
      yield makeRecord({ ...common, variant: 'fma f16', params: fmaParams, timing: measured.f16.timing, flops: measured.f16.flops, bytes: 0, check: measured.f16.check, unit: 'f16', extraDispatches: 0 });
    }
    if (measured.matrix) {
      const matrixParams = { matrixSubgroups: plan.matrix.subgroups, matrixIterations: plan.matrix.iterations };
      yield makeRecord({ ...common, variant: 'matrix f16', params: matrixParams, timing: measured.matrix.timing, flops: measured.matrix.flops, bytes: 0, check: measured.matrix.check, unit: 'f16-matrix', extraDispatches: 0 });
    }
    yield makeRecord({
      ...common,
      variant: 'launch',
      params: { dispatchesPerPass: 1 + LAUNCH_EXTRA_DISPATCHES },
      timing: measured.launch.timing,
      flops: 0,
      bytes: measured.launch.bytes,
      check: measured.launch.check,
      unit: 'fp32',
      extraDispatches: LAUNCH_EXTRA_DISPATCHES,
      extra: { launchSeconds: measured.launch.seconds },
    });
    const largestWords = Math.floor(Math.max(...sweepBytes) / 2 / WORD_BYTES);
    const buffers = createCopyBuffers(ctx.gpu.device, largestWords);
    try {
      for (const bytes of sweepBytes) {
        ctx.progress(step++, steps, `bandwidth sweep: ${bytes / KiB} KiB`);
        const words = Math.floor(bytes / 2 / WORD_BYTES);
        const dispatches = sweepDispatches(bytes, params.sweepPassMiB * MiB);
        const point = await measureCopy(ctx.gpu, buffers, words, timing, dispatches);
        yield makeRecord({
          ...common,
          variant: 'sweep',
          params: { workingSetKiB: bytes / KiB },
          timing: point.timing,
          flops: 0,
          bytes: dispatches * 2 * words * WORD_BYTES,
          check: point.check,
          unit: 'fp32',
          extraDispatches: dispatches - 1,
          extra: { workingSetBytes: 2 * words * WORD_BYTES, dispatchesPerPass: dispatches },
        });
      }
    } finally {
      buffers.destroy();
    }
    ctx.progress(steps, steps, 'done');
  },
  figures: { workingSetBytes: 'Working set (bytes)', launchSeconds: 'Launch floor (s)', dispatchesPerPass: 'Dispatches per pass', workingSetKiB: 'Working set (KiB)' },
  ceilingsFrom(records, params, gpu) {
    // Tiny sizes (the quick preset) mostly time launches on a real GPU: only a probe at least as large as the
    // default plan may stand for this device's ceilings.
    const plan = defaultCeilingPlan(gpu);
    const small = (name: string, least: number) => Number(params[name]) < least;
    if (small('copyMiB', plan.copyBytes / MiB) || small('fmaThreads', plan.fma.threads) || small('matrixSubgroups', plan.matrix.subgroups)) return null;
    const best = (variant: string, rate: (record: RunRecord) => number) =>
      Math.max(0, ...records.filter((record) => record.variant === variant).map(rate));
    const measured: Partial<Record<keyof Ceilings, number>> = {};
    for (const [key, [variant, rate]] of Object.entries(CEILING_OF)) {
      const value = best(variant, rate);
      if (value > 0) measured[key as keyof Ceilings] = value;
    }
    const launch = records.find((record) => record.variant === 'launch')?.extra?.['launchSeconds'];
    if (launch !== undefined) measured.launchSeconds = launch;
    const parsed = ceilingsSchema.safeParse(measured);
    return parsed.success ? parsed.data : null;
  },
  plots: [
    {
      id: 'sweep',
      title: 'Copy bandwidth against working set (read + write)',
      x: { field: 'params.workingSetKiB', label: 'Working set, source and destination (KiB)', log: true },
      y: { field: 'achieved.gbps', label: 'Copy bandwidth (GB/s)', log: true },
      variants: ['sweep'],
    },
  ],
};
