// A run record (DESIGN.md, "The units") from a timing, the cost model and the device's ceilings.
import { runRecordSchema, type Ceilings, type RunRecord } from '../schemas/results';
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
  /** Which compute ceiling bounds the flops: f16 uses `f16Gflops` where measured. Default: `f16` when the variant names f16. */
  precision?: 'fp32' | 'f16';
  extra?: Record<string, number>;
}

/** The fastest the device was seen to move bytes: a kernel that mostly reads can beat a copy. */
export function memoryGBps(ceilings: Pick<Ceilings, 'copyGBps' | 'readGBps'>): number {
  return Math.max(ceilings.copyGBps, ceilings.readGBps ?? 0);
}

/** The bound of a point: the larger of its memory time (bytes at memoryGBps) and its compute time at this device's ceilings. */
export function boundOf(flops: number, bytes: number, ceilings: Ceilings, precision: 'fp32' | 'f16'): RunRecord['bound'] {
  const gflops = precision === 'f16' ? (ceilings.f16Gflops ?? ceilings.fp32Gflops) : ceilings.fp32Gflops;
  const memorySeconds = bytes / (memoryGBps(ceilings) * 1e9);
  const computeSeconds = flops / (gflops * 1e9);
  return memorySeconds >= computeSeconds
    ? { seconds: memorySeconds, limitedBy: 'bandwidth' }
    : { seconds: computeSeconds, limitedBy: 'compute' };
}

export function makeRecord(input: RecordInput): RunRecord {
  const { timing, flops, bytes } = input;
  const median = timing.seconds.median;
  const precision = input.precision ?? (/\b(f|fp)16\b/i.test(input.variant) ? 'f16' : 'fp32');
  const bound = boundOf(flops, bytes, input.ceilings, precision);
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
