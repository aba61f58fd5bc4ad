// This device's speed of light (DESIGN.md, "Ceilings"): copy and read bandwidth, FP32 and f16 FMA rates, the
// f16 matrix rate (subgroup matrices: the tensor cores) where offered, and the launch floor, measured with
// checked kernels. Every lab's bounds come from these.
import { WORD_BYTES } from '../../kernels/gpu/buffers';
import { flops as fmaCost, type FmaShape } from '../../kernels/fma/fma';
import { flops as matrixCost, matrixRefusal, type MatrixShape } from '../../kernels/matrix/matrix';
import { bytes as readCost } from '../../kernels/read/read';
import { isSoftware } from '../../kernels/gpu/outcome';
import type { GpuContext } from '../../kernels/gpu/types';
import { ceilingsSchema, type Ceilings } from '../../schemas/results';
import { createCopyBuffers, measureCopy, measureFma, measureMatrix, measureRead, type Checked, type ProbeTiming } from './measure';

const MiB = 2 ** 20;
/** The launch floor's copy: 1 KiB, so a dispatch's own work is a few nanoseconds on any GPU. */
const LAUNCH_WORDS = 64;
/** Extra dispatches in the long pass: the floor is the difference over this count. */
export const LAUNCH_EXTRA_DISPATCHES = 64;

/** The sizes the ceilings are measured at. */
export interface CeilingPlan {
  /**
   * Bytes of the copy's source (the destination is as large), and of the read's source: several times the L2
   * (50 MB on an H100).
   */
  copyBytes: number;
  fma: FmaShape;
  /** The matrix chains, where the device offers subgroup matrices. */
  matrix: MatrixShape;
}

/**
 * 256 MiB copies (or the largest buffer the device allows) and 16M threads × 512 FMA steps: about 4.3 ms
 * on an H100, 62 waves of its 270K resident threads, so the last, partial wave costs some 1.5% (a browser's
 * GPU watchdog rules out much longer passes on small GPUs). Tiny on a software adapter, whose numbers are
 * not a GPU's anyway.
 */
export function defaultCeilingPlan(gpu: Pick<GpuContext, 'info' | 'limits'>): CeilingPlan {
  if (isSoftware(gpu)) return { copyBytes: 4 * MiB, fma: { threads: 4096, iterations: 64 }, matrix: { subgroups: 64, iterations: 64 } };
  const largest = Math.min(gpu.limits['maxBufferSize'] ?? Infinity, gpu.limits['maxStorageBufferBindingSize'] ?? Infinity);
  // The matrix chains: 8448 subgroups (64 per SM of a 132-SM GPU) × 4096 steps, 2.3 TFLOP: about 3.6 ms on an H200.
  return { copyBytes: Math.min(256 * MiB, largest), fma: { threads: 2 ** 24, iterations: 512 }, matrix: { subgroups: 8448, iterations: 4096 } };
}

/** What each ceiling was measured from, checked. */
export interface CeilingMeasurements {
  ceilings: Ceilings;
  copy: Checked & { bytes: number };
  read: Checked & { bytes: number };
  fp32: Checked & { flops: number };
  f16?: Checked & { flops: number };
  matrix?: Checked & { flops: number };
  /** A pass of 1 + LAUNCH_EXTRA_DISPATCHES tiny copies, each waiting for the one before, and the floor it gives. */
  launch: Checked & { seconds: number; bytes: number };
}

function failIfWrong(what: string, measured: Checked) {
  if (!measured.check.ok) throw new Error(`${what} failed its check against the CPU, so its speed means nothing:\n${measured.check.mismatches.join('\n')}`);
}

/**
 * Measures the ceilings with their checks, `rounds` times, keeping the fastest of each: a ceiling is the best the
 * device does, and a GPU coming out of idle (the H100 drops to 345 MHz) can make a whole first round slow
 * (1.7 TB/s instead of 3.0 for the copy, seen on the H100). Throws when a probe kernel does not match the CPU.
 */
export async function measureCeilingsDetailed(
  gpu: GpuContext,
  timing: ProbeTiming,
  plan: CeilingPlan = defaultCeilingPlan(gpu),
  rounds = isSoftware(gpu) ? 1 : 2,
): Promise<CeilingMeasurements> {
  let best = await measureRound(gpu, timing, plan);
  for (let round = 1; round < rounds; round++) best = fastest(best, await measureRound(gpu, timing, plan));
  return best;
}

/** Each measurement from whichever of the two ran faster, and the ceilings from those. */
function fastest(a: CeilingMeasurements, b: CeilingMeasurements): CeilingMeasurements {
  const pick = <T extends Checked>(x: T, y: T) => (y.timing.seconds.median < x.timing.seconds.median ? y : x);
  const copy = pick(a.copy, b.copy);
  const read = pick(a.read, b.read);
  const fp32 = pick(a.fp32, b.fp32);
  const f16 = a.f16 && b.f16 ? pick(a.f16, b.f16) : undefined;
  const matrix = a.matrix && b.matrix ? pick(a.matrix, b.matrix) : undefined;
  const launch = b.launch.seconds < a.launch.seconds ? b.launch : a.launch;
  const measured = { copy, read, fp32, launch, ...(f16 && { f16 }), ...(matrix && { matrix }) };
  return { ceilings: ceilingsOf(measured), ...measured };
}

function ceilingsOf({ copy, read, fp32, f16, matrix, launch }: Omit<CeilingMeasurements, 'ceilings'>): Ceilings {
  return ceilingsSchema.parse({
    copyGBps: copy.bytes / copy.timing.seconds.median / 1e9,
    readGBps: read.bytes / read.timing.seconds.median / 1e9,
    fp32Gflops: fp32.flops / fp32.timing.seconds.median / 1e9,
    ...(f16 && { f16Gflops: f16.flops / f16.timing.seconds.median / 1e9 }),
    ...(matrix && { f16MatrixGflops: matrix.flops / matrix.timing.seconds.median / 1e9 }),
    launchSeconds: launch.seconds,
  });
}

/**
 * The launch floor: a pass of one tiny copy against a pass of 1 + LAUNCH_EXTRA_DISPATCHES of them, each writing
 * the same buffer and so waiting for the one before (as a model's layers do). The extra time over the extra
 * dispatches is what one more costs. On an H100 through Dawn it was about 3 µs (2026-11-22).
 */
async function measureLaunch(gpu: GpuContext, timing: ProbeTiming): Promise<CeilingMeasurements['launch']> {
  const buffers = createCopyBuffers(gpu.device, LAUNCH_WORDS);
  try {
    const one = await measureCopy(gpu, buffers, LAUNCH_WORDS, timing, 1);
    failIfWrong('the launch floor\'s copy', one);
    const many = await measureCopy(gpu, buffers, LAUNCH_WORDS, timing, 1 + LAUNCH_EXTRA_DISPATCHES);
    const seconds = Math.max(0, (many.timing.seconds.median - one.timing.seconds.median) / LAUNCH_EXTRA_DISPATCHES);
    return { ...many, seconds, bytes: (1 + LAUNCH_EXTRA_DISPATCHES) * 2 * LAUNCH_WORDS * WORD_BYTES };
  } finally {
    buffers.destroy();
  }
}

async function measureRound(gpu: GpuContext, timing: ProbeTiming, plan: CeilingPlan): Promise<CeilingMeasurements> {
  const words = Math.floor(plan.copyBytes / WORD_BYTES);
  const buffers = createCopyBuffers(gpu.device, words);
  let copy: Checked;
  try {
    copy = await measureCopy(gpu, buffers, words, timing);
  } finally {
    buffers.destroy();
  }
  failIfWrong('the copy', copy);
  const copyBytes = 2 * words * WORD_BYTES;
  const read = await measureRead(gpu, words, timing);
  failIfWrong('the read', read);
  const readBytes = readCost({ words });
  const fmaFlops = fmaCost(plan.fma);
  const fp32 = await measureFma(gpu, plan.fma, 'f32', timing);
  failIfWrong('the fp32 FMA chains', fp32);
  const f16 = gpu.features.has('shader-f16') ? await measureFma(gpu, plan.fma, 'f16', timing) : undefined;
  if (f16) failIfWrong('the f16 FMA chains', f16);
  const matrix = matrixRefusal(gpu.features, gpu.info.subgroupMatrixConfigs) === null ? await measureMatrix(gpu, plan.matrix, timing) : undefined;
  if (matrix) failIfWrong('the f16 matrix chains', matrix);
  const launch = await measureLaunch(gpu, timing);
  const measured = {
    copy: { ...copy, bytes: copyBytes },
    read: { ...read, bytes: readBytes },
    fp32: { ...fp32, flops: fmaFlops },
    ...(f16 && { f16: { ...f16, flops: fmaFlops } }),
    ...(matrix && { matrix: { ...matrix, flops: matrixCost(plan.matrix) } }),
    launch,
  };
  return { ceilings: ceilingsOf(measured), ...measured };
}

/** This device's ceilings, for every lab's bounds. */
export async function measureCeilings(gpu: GpuContext, timing: ProbeTiming, plan?: CeilingPlan): Promise<Ceilings> {
  return (await measureCeilingsDetailed(gpu, timing, plan)).ceilings;
}
