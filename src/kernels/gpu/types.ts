import type { AdapterInfo, Ceilings } from '../../schemas/results';

/** Where the device came from: the only thing that differs between the three hosts (DESIGN.md). */
export type Host = 'browser' | 'node';

/** A device ready for kernels, with what was learned while getting it. */
export interface GpuContext {
  device: GPUDevice;
  host: Host;
  info: AdapterInfo;
  /** Features enabled on the device. */
  features: ReadonlySet<string>;
  /** The device's limits (the adapter's, requested in full), as plain numbers. */
  limits: Readonly<Record<string, number>>;
  /** Resolves when the device is lost; `reason: 'destroyed'` when we destroyed it ourselves. */
  lost: Promise<GPUDeviceLostInfo>;
}

/** Statistics of repeated timed runs, in seconds. */
export interface Timing {
  seconds: { median: number; p10: number; p90: number; n: number };
  method: 'timestamp' | 'submit';
}

/** How to time: warm-ups, repetitions, and the cap on one submit so no GPU watchdog fires. */
export interface TimingOptions {
  warmup: number;
  reps: number;
  /** Force a method; by default timestamps where offered, else batched submits. */
  method?: 'timestamp' | 'submit';
  /** Give up waiting for the GPU after this long (a JS timeout, so nothing hangs). */
  timeoutMs?: number;
  /** Longest one submit may run, so no GPU watchdog fires (default 0.25 s). */
  maxSubmitSeconds?: number;
  /** Warm up for at least this long, so the GPU's clocks have risen (default 0.1 s). */
  warmupSeconds?: number;
}

/**
 * The one contract of a kernel's prepare*(): encode its dispatches into a pass it is given, the buffers it writes
 * (by name, with their shapes in the kernel's docs), how many dispatches encode() records (each waiting for the
 * one before), and destroy() for what it made itself (never the buffers it was given).
 */
export interface Prepared<Outputs extends Record<string, GPUBuffer> = Record<string, GPUBuffer>> {
  encode(pass: GPUComputePassEncoder): void;
  outputs: Outputs;
  dispatches: number;
  destroy(): void;
}

export type { Ceilings };
