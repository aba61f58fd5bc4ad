// The bound of a piece of work on a device (DESIGN.md, "Ceilings"): the larger of its bytes over the bandwidth and
// its FLOPs over the rate of the unit it runs on, plus the launch floor for each dispatch a pass adds. The one
// formula of the speed of light: a model's ops (speed.ts), a lab's records and its time budget all use it.
import type { Ceilings, ComputeUnit, RunRecord } from '../schemas/results';

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

export interface WorkTimes {
  /** Its bytes at memoryGBps. */
  memorySeconds: number;
  /** Its FLOPs at its unit's rate. */
  computeSeconds: number;
  /** The larger of the two. */
  seconds: number;
  limitedBy: 'bandwidth' | 'compute';
}

/** The memory time and the compute time of `flops` and `bytes` on `unit`, and which of them bounds the work. */
export function workTimes(flops: number, bytes: number, ceilings: Ceilings, unit: ComputeUnit): WorkTimes {
  const memorySeconds = bytes / (memoryGBps(ceilings) * 1e9);
  const computeSeconds = flops / (unitGflops(ceilings, unit) * 1e9);
  return memorySeconds >= computeSeconds
    ? { memorySeconds, computeSeconds, seconds: memorySeconds, limitedBy: 'bandwidth' }
    : { memorySeconds, computeSeconds, seconds: computeSeconds, limitedBy: 'compute' };
}

/**
 * The bound of a point: the larger of its memory time and its compute time on its unit, plus the launch floor for
 * each dispatch beyond the first (the ceilings' own one-dispatch passes paid for the first).
 */
export function boundOf(flops: number, bytes: number, ceilings: Ceilings, unit: ComputeUnit, extraDispatches: number): RunRecord['bound'] {
  const { seconds, limitedBy } = workTimes(flops, bytes, ceilings, unit);
  return { seconds: seconds + extraDispatches * (ceilings.launchSeconds ?? 0), limitedBy };
}
