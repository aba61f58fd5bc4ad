// This device's speed of light (DESIGN.md, "Ceilings"): copy and read bandwidth, FP32 and f16 FMA rates, the
// f16 matrix rate (subgroup matrices: the tensor cores) where offered, and the launch floor, measured by the probe's
// own points through the harness, so each kernel is checked before it is timed. Every lab's bounds come from these.
import { isSoftware } from '../../kernels/gpu/outcome';
import type { GpuContext, Timing, TimingOptions } from '../../kernels/gpu/types';
import type { Ceilings, RunRecord } from '../../schemas/results';
import { runPoints } from '../harness';
import { ceilingsOfRecords, probe, type ProbeSettings } from './index';
import { defaultCeilingPlan, settingsOfPlan, type CeilingPlan } from './plan';

export type ProbeTiming = TimingOptions & { signal?: AbortSignal };

/** The ceilings, and the timing method they were measured with. */
export interface CeilingMeasurements {
  ceilings: Ceilings;
  method: Timing['method'];
}

/** Stand-in ceilings for the records' bounds while the ceilings themselves are measured: only their times are read. */
const UNKNOWN: Ceilings = { copyGBps: 1, fp32Gflops: 1 };

/**
 * Measures the ceilings at `plan` with the probe's checked kernels, each point timed `rounds` times and the fastest
 * kept: a ceiling is the best the device does, and a GPU coming out of idle (the H100 drops to 345 MHz) makes a first
 * timing slow (1.7 TB/s instead of 3.0 for the copy, seen on the H100). Throws when a probe kernel does not match the
 * CPU (a CheckFailure), or does not fit the device.
 */
export async function measureCeilingsDetailed(
  gpu: GpuContext,
  timing: ProbeTiming,
  plan: CeilingPlan = defaultCeilingPlan(gpu),
  rounds = isSoftware(gpu) ? 1 : 2,
): Promise<CeilingMeasurements> {
  const settings: ProbeSettings = { ...settingsOfPlan(plan), sweepKiB: [], sweepPassMiB: 1 };
  const ceilingsOnly = { ...probe, points: (given: ProbeSettings) => probe.points!(given).map((point) => ({ ...point, rounds })) };
  const ctx = { gpu, ceilings: UNKNOWN, timing, signal: timing.signal ?? new AbortController().signal, progress: () => {} };
  const records: RunRecord[] = [];
  for await (const record of runPoints(ceilingsOnly, ctx, settings)) records.push(record);
  const ceilings = ceilingsOfRecords(records);
  if (!ceilings) throw new Error(`the probe measured no ceilings from its ${records.length} records`);
  return { ceilings, method: records[0]!.timing };
}

/** This device's ceilings, for every lab's bounds. */
export async function measureCeilings(gpu: GpuContext, timing: ProbeTiming, plan?: CeilingPlan): Promise<Ceilings> {
  return (await measureCeilingsDetailed(gpu, timing, plan)).ceilings;
}
