// This device's speed of light (DESIGN.md, "Ceilings"): copy and read bandwidth, FP32 and f16 FMA rates,
// measured with checked kernels. Every lab's bounds come from these.
import { WORD_BYTES } from '../../kernels/gpu/buffers';
import { flops as fmaCost, type FmaShape } from '../../kernels/fma/fma';
import { bytes as readCost } from '../../kernels/read/read';
import { isSoftware } from '../../kernels/gpu/outcome';
import type { GpuContext } from '../../kernels/gpu/types';
import { ceilingsSchema, type Ceilings } from '../../schemas/results';
import { createCopyBuffers, measureCopy, measureFma, measureRead, type Checked, type ProbeTiming } from './measure';

const MiB = 2 ** 20;

/** The sizes the ceilings are measured at. */
export interface CeilingPlan {
  /**
   * Bytes of the copy's source (the destination is as large), and of the read's source: several times the L2
   * (50 MB on an H100).
   */
  copyBytes: number;
  fma: FmaShape;
}

/**
 * 256 MiB copies (or the largest buffer the device allows) and 16M threads × 512 FMA steps: about 4.3 ms
 * on an H100, 62 waves of its 270K resident threads, so the last, partial wave costs some 1.5% (a browser's
 * GPU watchdog rules out much longer passes on small GPUs). Tiny on a software adapter, whose numbers are
 * not a GPU's anyway.
 */
export function defaultCeilingPlan(gpu: Pick<GpuContext, 'info' | 'limits'>): CeilingPlan {
  if (isSoftware(gpu)) return { copyBytes: 4 * MiB, fma: { threads: 4096, iterations: 64 } };
  const largest = Math.min(gpu.limits['maxBufferSize'] ?? Infinity, gpu.limits['maxStorageBufferBindingSize'] ?? Infinity);
  return { copyBytes: Math.min(256 * MiB, largest), fma: { threads: 2 ** 24, iterations: 512 } };
}

/** What each ceiling was measured from, checked. */
export interface CeilingMeasurements {
  ceilings: Ceilings;
  copy: Checked & { bytes: number };
  read: Checked & { bytes: number };
  fp32: Checked & { flops: number };
  f16?: Checked & { flops: number };
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
  return { ceilings: ceilingsOf(copy, read, fp32, f16), copy, read, fp32, ...(f16 && { f16 }) };
}

function ceilingsOf(
  copy: Checked & { bytes: number },
  read: Checked & { bytes: number },
  fp32: Checked & { flops: number },
  f16: (Checked & { flops: number }) | undefined,
): Ceilings {
  return ceilingsSchema.parse({
    copyGBps: copy.bytes / copy.timing.seconds.median / 1e9,
    readGBps: read.bytes / read.timing.seconds.median / 1e9,
    fp32Gflops: fp32.flops / fp32.timing.seconds.median / 1e9,
    ...(f16 && { f16Gflops: f16.flops / f16.timing.seconds.median / 1e9 }),
  });
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
  const measured = {
    copy: { ...copy, bytes: copyBytes },
    read: { ...read, bytes: readBytes },
    fp32: { ...fp32, flops: fmaFlops },
    ...(f16 && { f16: { ...f16, flops: fmaFlops } }),
  };
  return { ceilings: ceilingsOf(measured.copy, measured.read, measured.fp32, measured.f16), ...measured };
}

/** This device's ceilings, for every lab's bounds. */
export async function measureCeilings(gpu: GpuContext, timing: ProbeTiming, plan?: CeilingPlan): Promise<Ceilings> {
  return (await measureCeilingsDetailed(gpu, timing, plan)).ceilings;
}
