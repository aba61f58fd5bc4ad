// The sizes the probe measures at (DESIGN.md, "Ceilings"): the plan of the ceilings, the default one for a device,
// and how many copies a pass of the bandwidth sweep makes for a working set.
import type { FeedShape } from '../../kernels/feed/feed';
import type { FmaShape } from '../../kernels/fma/fma';
import { isSoftware } from '../../kernels/gpu/outcome';
import type { GpuContext } from '../../kernels/gpu/types';
import type { MatrixShape } from '../../kernels/matrix/matrix';

export const KiB = 1024;
export const MiB = 2 ** 20;
/** Most copies one timed pass of the sweep makes. */
const MAX_SWEEP_DISPATCHES = 256;
/** The launch floor's copy: 64 words, 1 KiB, so a dispatch's own work is a few nanoseconds on any GPU. */
export const LAUNCH_WORDS = 64;
/** Extra dispatches in the launch floor's long pass: the floor is the extra time over this count. */
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
  /** The matrix units fed from workgroup memory, likewise. */
  feed: FeedShape;
}

/**
 * 256 MiB copies (or the largest buffer the device allows) and 16M threads × 512 FMA steps: about 4.3 ms
 * on an H100, 62 waves of its 270K resident threads, so the last, partial wave costs some 1.5% (a browser's
 * GPU watchdog rules out much longer passes on small GPUs). Tiny on a software adapter, whose numbers are
 * not a GPU's anyway.
 */
export function defaultCeilingPlan(gpu: Pick<GpuContext, 'info' | 'limits'>): CeilingPlan {
  if (isSoftware(gpu)) {
    return { copyBytes: 4 * MiB, fma: { threads: 4096, iterations: 64 }, matrix: { subgroups: 64, iterations: 64 }, feed: { workgroups: 2, iterations: 16 } };
  }
  const largest = Math.min(gpu.limits['maxBufferSize'] ?? Infinity, gpu.limits['maxStorageBufferBindingSize'] ?? Infinity);
  // The matrix chains: 8448 subgroups (64 per SM of a 132-SM GPU) × 4096 steps, 2.3 TFLOP: about 3.6 ms on an H200.
  // The fed matrix units: 1056 workgroups (8 per SM) × 2048 steps, 1.13 TFLOP: about 14 ms at the H100's 80 TFLOP/s.
  return {
    copyBytes: Math.min(256 * MiB, largest),
    fma: { threads: 2 ** 24, iterations: 512 },
    matrix: { subgroups: 8448, iterations: 4096 },
    feed: { workgroups: 1056, iterations: 2048 },
  };
}

/** The probe's settings that size its ceilings. */
export interface PlanSettings {
  copyMiB: number;
  fmaThreads: number;
  fmaIterations: number;
  matrixSubgroups: number;
  matrixIterations: number;
  feedWorkgroups: number;
  feedIterations: number;
}

export function planOf(settings: PlanSettings): CeilingPlan {
  return {
    copyBytes: settings.copyMiB * MiB,
    fma: { threads: settings.fmaThreads, iterations: settings.fmaIterations },
    matrix: { subgroups: settings.matrixSubgroups, iterations: settings.matrixIterations },
    feed: { workgroups: settings.feedWorkgroups, iterations: settings.feedIterations },
  };
}

/** The settings of `plan`, the inverse of planOf. */
export function settingsOfPlan(plan: CeilingPlan): PlanSettings {
  return {
    copyMiB: plan.copyBytes / MiB,
    fmaThreads: plan.fma.threads,
    fmaIterations: plan.fma.iterations,
    matrixSubgroups: plan.matrix.subgroups,
    matrixIterations: plan.matrix.iterations,
    feedWorkgroups: plan.feed.workgroups,
    feedIterations: plan.feed.iterations,
  };
}

/** Copy dispatches in one timed pass of the sweep for a working set of `bytes`, so the pass carries about `passBytes`. */
export function sweepDispatches(bytes: number, passBytes: number): number {
  return Math.max(1, Math.min(MAX_SWEEP_DISPATCHES, Math.ceil(passBytes / bytes)));
}
