// The timing loop (DESIGN.md, "Measuring"): warm-up, then repetitions timed with timestamp-query
// around each pass where offered, else batches of passes timed with onSubmittedWorkDone.
// Passes are queued back to back: on an H100 through Vulkan, waiting after each pass left the GPU idle
// long enough to drop from 1980 to 345 MHz, and timed passes ran up to 5.7 times slower.
// A kernel encodes all its dispatches into the one compute pass it is given; `rep` counts every
// pass encoded (warm-ups included) so a kernel can rotate its inputs with `rep % copies`.
import { abortReason, waitFor } from './errors';
import type { GpuContext, Timing, TimingOptions } from './types';

export type EncodePass = (pass: GPUComputePassEncoder, rep: number) => void;

/**
 * Encodes one pass (rep 0) and submits it on its own, for a check: `before` may add commands ahead of the pass
 * (clearing an output). Returns when it is queued; read the results back with readBuffer.
 */
export function submitOnce(device: GPUDevice, encode: EncodePass, label: string, before?: (encoder: GPUCommandEncoder) => void): void {
  const encoder = device.createCommandEncoder({ label });
  before?.(encoder);
  const pass = encoder.beginComputePass({ label });
  encode(pass, 0);
  pass.end();
  device.queue.submit([encoder.finish()]);
}

/** Longest a single submit should run: well under the ~2 s after which browsers' GPU watchdogs kill work. */
export const DEFAULT_MAX_SUBMIT_SECONDS = 0.25;
/** Warm-up lasts at least this long: a GPU takes some milliseconds of steady work to reach its clocks. */
export const DEFAULT_WARMUP_SECONDS = 0.1;
/** Most GPU work queued without waiting: bounds how late a cancel or a timeout takes effect. */
const MAX_QUEUED_SECONDS = 0.5;
/** A batch timed with onSubmittedWorkDone aims at this long, so the wait's own latency is a small share of it. */
const SUBMIT_BATCH_SECONDS = 0.02;
/** At most this many passes in one batch, however short the kernel. */
const MAX_PASSES_PER_SUBMIT = 4096;
/** A query set holds at most 4096 queries: two per pass. */
const MAX_PASSES_PER_QUERY_SET = 2048;

/** Median, 10th and 90th percentiles (linear interpolation between ranks) and count of samples in seconds. */
export function summarize(samples: readonly number[]): Timing['seconds'] {
  if (samples.length === 0) throw new Error('summarize: no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => {
    const position = q * (sorted.length - 1);
    const low = Math.floor(position);
    const high = Math.min(low + 1, sorted.length - 1);
    return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
  };
  return { median: at(0.5), p10: at(0.1), p90: at(0.9), n: sorted.length };
}

/** Passes per submit so that one submit stays near `targetSeconds`, given one pass's estimated time. */
export function passesPerSubmit(estimateSeconds: number, targetSeconds: number): number {
  if (!(estimateSeconds > 0)) return 1;
  return Math.max(1, Math.min(MAX_PASSES_PER_SUBMIT, Math.floor(targetSeconds / estimateSeconds)));
}

interface Runner {
  gpu: GpuContext;
  encode: EncodePass;
  options: TimingOptions & { signal?: AbortSignal };
  rep: number;
  /** Estimated GPU time submitted since the last wait. */
  queuedSeconds: number;
}

function wait(runner: Runner, what: string): Promise<undefined> {
  const { gpu, options } = runner;
  return waitFor(gpu.device.queue.onSubmittedWorkDone(), {
    what,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    lost: gpu.lost,
  });
}

function checkAborted(runner: Runner) {
  const { signal } = runner.options;
  if (signal?.aborted) throw abortReason(signal);
}

/** Submits `passes` passes in one command buffer; `timestamps` gives each pass its query pair. */
function submitPasses(runner: Runner, passes: number, timestamps?: { querySet: GPUQuerySet; firstIndex: number }) {
  const { device } = runner.gpu;
  const encoder = device.createCommandEncoder({ label: 'measure' });
  for (let i = 0; i < passes; i++) {
    const pass = encoder.beginComputePass({
      label: `measure rep ${runner.rep}`,
      ...(timestamps && {
        timestampWrites: {
          querySet: timestamps.querySet,
          beginningOfPassWriteIndex: 2 * (timestamps.firstIndex + i),
          endOfPassWriteIndex: 2 * (timestamps.firstIndex + i) + 1,
        },
      }),
    });
    runner.encode(pass, runner.rep++);
    pass.end();
  }
  device.queue.submit([encoder.finish()]);
}

/**
 * Submits `passes` passes without waiting, so the GPU does not idle between them (an idle GPU lowers its
 * clocks); waits first only when more than MAX_QUEUED_SECONDS of work would be queued.
 */
async function submitQueued(runner: Runner, passes: number, estimateSeconds: number, timestamps?: { querySet: GPUQuerySet; firstIndex: number }) {
  const seconds = passes * estimateSeconds;
  if (runner.queuedSeconds > 0 && runner.queuedSeconds + seconds > MAX_QUEUED_SECONDS) {
    await wait(runner, 'queued passes');
    runner.queuedSeconds = 0;
  }
  checkAborted(runner);
  submitPasses(runner, passes, timestamps);
  runner.queuedSeconds += seconds;
}

/**
 * Warm-up: at least `count` passes and at least `seconds` of back-to-back work, so caches, pipelines and the
 * GPU's clocks are where the timed passes will find them. Returns the time of one pass, from the last batch.
 */
async function warmUp(runner: Runner, count: number, seconds: number, maxSubmitSeconds: number): Promise<number> {
  const started = performance.now();
  let done = 0;
  // The first pass alone: it pays for compiling and first touches, and gives a first (high) estimate.
  let estimate = Infinity;
  while (done < Math.max(1, count) || (performance.now() - started) / 1000 < seconds) {
    checkAborted(runner);
    const remaining = Math.max(seconds - (performance.now() - started) / 1000, 0);
    const passes = done === 0 ? 1 : Math.max(Math.max(1, count) - done, Math.min(MAX_PASSES_PER_SUBMIT, Math.ceil(remaining / estimate)));
    const batchStart = performance.now();
    const perSubmit = passesPerSubmit(estimate, maxSubmitSeconds);
    for (let submitted = 0; submitted < passes; submitted += perSubmit) {
      await submitQueued(runner, Math.min(perSubmit, passes - submitted), Number.isFinite(estimate) ? estimate : 0);
    }
    await wait(runner, 'warm-up');
    runner.queuedSeconds = 0;
    estimate = (performance.now() - batchStart) / 1000 / passes;
    done += passes;
  }
  return estimate;
}

/** One sample per pass from its begin/end timestamps; null when the timestamps are not usable. */
async function timeWithTimestamps(runner: Runner, reps: number, estimateSeconds: number, maxSubmitSeconds: number) {
  const { device } = runner.gpu;
  const samples: number[] = [];
  const perQuerySet = Math.min(reps, MAX_PASSES_PER_QUERY_SET);
  const querySet = device.createQuerySet({ label: 'measure timestamps', type: 'timestamp', count: 2 * perQuerySet });
  const resolveBuffer = device.createBuffer({
    label: 'measure timestamps resolved',
    size: 2 * perQuerySet * 8,
    usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
  });
  const readBuffer = device.createBuffer({
    label: 'measure timestamps read back',
    size: 2 * perQuerySet * 8,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const perSubmit = passesPerSubmit(estimateSeconds, maxSubmitSeconds);
  try {
    for (let done = 0; done < reps; ) {
      const chunk = Math.min(perQuerySet, reps - done);
      for (let index = 0; index < chunk; ) {
        const passes = Math.min(perSubmit, chunk - index);
        await submitQueued(runner, passes, estimateSeconds, { querySet, firstIndex: index });
        index += passes;
      }
      const encoder = device.createCommandEncoder({ label: 'measure resolve' });
      encoder.resolveQuerySet(querySet, 0, 2 * chunk, resolveBuffer, 0);
      encoder.copyBufferToBuffer(resolveBuffer, 0, readBuffer, 0, 2 * chunk * 8);
      device.queue.submit([encoder.finish()]);
      runner.queuedSeconds = 0;
      await waitFor(readBuffer.mapAsync(GPUMapMode.READ, 0, 2 * chunk * 8), {
        what: 'reading timestamps',
        timeoutMs: runner.options.timeoutMs,
        signal: runner.options.signal,
        lost: runner.gpu.lost,
      });
      const ticks = new BigUint64Array(readBuffer.getMappedRange(0, 2 * chunk * 8).slice(0));
      readBuffer.unmap();
      for (let i = 0; i < chunk; i++) samples.push(Number(ticks[2 * i + 1]! - ticks[2 * i]!) / 1e9);
      done += chunk;
    }
  } finally {
    querySet.destroy();
    resolveBuffer.destroy();
    readBuffer.destroy();
  }
  // Zero or wrapped-around differences mean the timestamps are coarser than the kernel or not written at all.
  const usable = samples.filter((seconds) => seconds > 0 && seconds < 1e3);
  return usable.length === samples.length ? samples : null;
}

/** One sample per batch: the batch's wall-clock time from submit to onSubmittedWorkDone, over its passes. */
async function timeWithSubmits(runner: Runner, reps: number, estimateSeconds: number, maxSubmitSeconds: number) {
  const perSubmit = passesPerSubmit(estimateSeconds, Math.min(SUBMIT_BATCH_SECONDS, maxSubmitSeconds));
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    checkAborted(runner);
    const start = performance.now();
    submitPasses(runner, perSubmit);
    await wait(runner, 'timed batch');
    samples.push((performance.now() - start) / 1000 / perSubmit);
  }
  return samples;
}

/**
 * Times one pass of a kernel on the GPU. Warms up, then takes `reps` samples: with timestamp-query
 * (where the device has it and `method` does not say otherwise) one sample per pass, from the pass's own
 * begin/end timestamps; else one sample per batch of passes timed from submit to onSubmittedWorkDone
 * (`n` then counts batches). Warm-up runs at least `warmup` passes and `warmupSeconds` (default 0.1 s).
 * Submits are kept under `maxSubmitSeconds` (default 0.25 s). Every wait
 * gives up after `timeoutMs`, stops when the device is lost, and honours `signal`.
 */
export async function measure(
  gpu: GpuContext,
  encode: EncodePass,
  options: TimingOptions & { signal?: AbortSignal },
): Promise<Timing> {
  if (!(options.reps >= 1)) throw new Error(`measure: reps must be at least 1, got ${options.reps}`);
  const maxSubmitSeconds = options.maxSubmitSeconds ?? DEFAULT_MAX_SUBMIT_SECONDS;
  const runner: Runner = { gpu, encode, options, rep: 0, queuedSeconds: 0 };
  const wanted = options.method ?? (gpu.features.has('timestamp-query') ? 'timestamp' : 'submit');
  if (wanted === 'timestamp' && !gpu.features.has('timestamp-query')) {
    throw new Error('measure: timestamp timing asked for, but this device has no timestamp-query');
  }
  const estimateSeconds = await warmUp(runner, options.warmup, options.warmupSeconds ?? DEFAULT_WARMUP_SECONDS, maxSubmitSeconds);
  if (wanted === 'timestamp') {
    const samples = await timeWithTimestamps(runner, options.reps, estimateSeconds, maxSubmitSeconds);
    if (samples) return { seconds: summarize(samples), method: 'timestamp' };
  }
  const samples = await timeWithSubmits(runner, options.reps, estimateSeconds, maxSubmitSeconds);
  return { seconds: summarize(samples), method: 'submit' };
}
