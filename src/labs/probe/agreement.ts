// Do the two timing methods agree? The FMA chains sized to run about `targetSeconds` (from the measured
// FP32 rate), timed once with timestamp-query and once with batched onSubmittedWorkDone.
import { prepareFma, fmaInputs, STEPS_PER_TRIP, type FmaShape } from '../../kernels/fma/fma';
import { Random } from '../../kernels/gpu/random';
import { measure } from '../../kernels/gpu/timing';
import type { Ceilings, GpuContext, Timing } from '../../kernels/gpu/types';
import type { ProbeTiming } from './measure';

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
  const iterations = trips * STEPS_PER_TRIP;
  const shape = { threads, iterations };
  const kernel = prepareFma(gpu.device, shape, fmaInputs(new Random(1), 'f32'), 'f32');
  try {
    const encode = (pass: GPUComputePassEncoder) => kernel.encode(pass);
    const timestamp = await measure(gpu, encode, { ...timing, method: 'timestamp' });
    const submit = await measure(gpu, encode, { ...timing, method: 'submit' });
    return { shape, timestamp, submit, ratio: submit.seconds.median / timestamp.seconds.median };
  } finally {
    kernel.destroy();
  }
}
