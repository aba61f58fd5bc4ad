// Do the two timing methods agree? The FMA chains sized to run about `targetSeconds` (from the measured
// FP32 rate), checked against the CPU, then timed once with timestamp-query and once with batched onSubmittedWorkDone.
import { fma } from '../../kernels/fma/index';
import { STEPS_PER_TRIP, type FmaShape } from '../../kernels/fma/fma';
import { knobsOf, versionOf } from '../../kernels/family';
import type { Ceilings, GpuContext, Timing } from '../../kernels/gpu/types';
import { prepareChecked, timeRuns } from '../harness';
import type { ProbeTiming } from './ceilings';

export interface Agreement {
  shape: FmaShape;
  timestamp: Timing;
  submit: Timing;
  /** submit median / timestamp median. */
  ratio: number;
}

/** Null when the device has no timestamp-query. */
export async function timingAgreement(
  gpu: GpuContext,
  ceilings: Ceilings,
  timing: ProbeTiming,
  threads: number,
  targetSeconds = 1e-3,
): Promise<Agreement | null> {
  if (!gpu.features.has('timestamp-query')) return null;
  const flopsPerStep = 2 * 16 * threads;
  const trips = Math.max(1, Math.round((targetSeconds * ceilings.fp32Gflops * 1e9) / flopsPerStep / STEPS_PER_TRIP));
  const shape = { threads, iterations: trips * STEPS_PER_TRIP };
  const ctx = { gpu, ceilings, timing, signal: timing.signal ?? new AbortController().signal, progress: () => {} };
  const version = versionOf(fma, 'f32');
  const what = `the FMA chains of ${threads} threads × ${shape.iterations} steps`;
  const { kernel, check, destroy } = await prepareChecked(ctx, 'agreement', fma, shape, version, knobsOf(version), { seed: 1, what });
  try {
    const timestamp = await timeRuns(ctx, check, what, kernel.encode, 1, { ...timing, method: 'timestamp' });
    const submit = await timeRuns(ctx, check, what, kernel.encode, 1, { ...timing, method: 'submit' });
    return { shape, timestamp, submit, ratio: submit.seconds.median / timestamp.seconds.median };
  } finally {
    destroy();
  }
}
