// A run record (DESIGN.md, "The units") from a timing, the cost model and the device's ceilings.
import { runRecordSchema, type Ceilings, type ComputeUnit, type RunRecord } from '../schemas/results';
import type { Params } from './types';
import type { Timing } from '../kernels/gpu/types';

export interface RecordInput {
  lab: string;
  variant: string;
  params: Params;
  timing: Timing;
  /** Floating-point operations of one run (an FMA counts 2). */
  flops: number;
  /** The fewest bytes one run must move across device memory. */
  bytes: number;
  ceilings: Ceilings;
  check: { maxRelError: number; ok: boolean };
  /** The unit the variant's arithmetic runs on, whose ceiling bounds its flops. */
  unit: ComputeUnit;
  /**
   * Dispatches one run adds to a pass beyond the first, each waiting for the one before: each adds the launch
   * floor to the bound. The first is not counted, since the ceilings' own one-dispatch passes paid for it too.
   */
  extraDispatches: number;
  extra?: Record<string, number>;
}

/** The fastest the device was seen to move bytes: a kernel that mostly reads can beat a copy. */
export function memoryGBps(ceilings: Pick<Ceilings, 'copyGBps' | 'readGBps'>): number {
  return Math.max(ceilings.copyGBps, ceilings.readGBps ?? 0);
}

/** This device's rate for a unit, GFLOP/s: its own ceiling where the probe measured it, else the nearest slower one. */
export function unitGflops(ceilings: Ceilings, unit: ComputeUnit): number {
  const f16 = ceilings.f16Gflops ?? ceilings.fp32Gflops;
  if (unit === 'f16-matrix') return ceilings.f16MatrixGflops ?? f16;
  return unit === 'f16' ? f16 : ceilings.fp32Gflops;
}

/**
 * The bound of a point: the larger of its memory time (bytes at memoryGBps) and its compute time on its unit, plus
 * the launch floor for each dispatch beyond the first.
 */
export function boundOf(flops: number, bytes: number, ceilings: Ceilings, unit: ComputeUnit, extraDispatches: number): RunRecord['bound'] {
  const memorySeconds = bytes / (memoryGBps(ceilings) * 1e9);
  const computeSeconds = flops / (unitGflops(ceilings, unit) * 1e9);
  const launchSeconds = extraDispatches * (ceilings.launchSeconds ?? 0);
  return memorySeconds >= computeSeconds
    ? { seconds: memorySeconds + launchSeconds, limitedBy: 'bandwidth' }
    : { seconds: computeSeconds + launchSeconds, limitedBy: 'compute' };
}

export function makeRecord(input: RecordInput): RunRecord {
  const { timing, flops, bytes } = input;
  const median = timing.seconds.median;
  const bound = boundOf(flops, bytes, input.ceilings, input.unit, input.extraDispatches);
  return runRecordSchema.parse({
    lab: input.lab,
    variant: input.variant,
    params: input.params,
    seconds: timing.seconds,
    timing: timing.method,
    flops,
    bytes,
    achieved: { gbps: bytes / median / 1e9, gflops: flops / median / 1e9 },
    bound,
    fractionOfBound: bound.seconds / median,
    // JSON has no Infinity: an output with NaN or Inf is stored as the largest finite error.
    check: { maxRelError: Math.min(input.check.maxRelError, Number.MAX_VALUE), ok: input.check.ok },
    ...(input.extra && { extra: input.extra }),
  });
}
