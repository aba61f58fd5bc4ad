// A run record (DESIGN.md, "The units") from a timing, the cost model and the device's ceilings.
import { runRecordSchema, type Ceilings, type ComputeUnit, type RunRecord } from '../schemas/results';
import type { Params } from './types';
import type { Timing } from '../kernels/gpu/types';
import { boundOf } from '../models/bound';

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
