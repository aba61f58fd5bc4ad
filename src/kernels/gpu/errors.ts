// The ways a GPU wait can end badly, as errors a runner turns into outcomes (outcome.ts),
// and the one wait that every await on the GPU goes through, so nothing hangs.

/** The GPU did not answer within the JS timeout: a hung or very slow submit. */
export class GpuTimeoutError extends Error {
  override name = 'GpuTimeoutError';
  constructor(what: string, readonly timeoutMs: number) {
    super(`${what}: the GPU did not finish within ${(timeoutMs / 1000).toFixed(1)} s`);
  }
}

/** The device was lost while we waited on it (`reason: 'destroyed'` when we destroyed it ourselves). */
export class GpuLostError extends Error {
  override name = 'GpuLostError';
  constructor(what: string, readonly reason: string, readonly detail: string) {
    super(`${what}: the GPU device was lost (${reason}${detail ? `: ${detail}` : ''})`);
  }
}

/** A validation or out-of-memory error popped from an error scope. */
export class GpuScopeError extends Error {
  override name = 'GpuScopeError';
  constructor(readonly filter: 'validation' | 'out-of-memory', message: string) {
    super(`${filter === 'validation' ? 'validation error' : 'out of memory'}: ${message}`);
  }
}

/** The default JS timeout on one GPU wait. */
export const DEFAULT_TIMEOUT_MS = 20_000;

export interface WaitOptions {
  /** What is being waited for, for the error message. */
  what: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The device's `lost` promise: a loss ends the wait at once. */
  lost?: Promise<GPUDeviceLostInfo>;
}

/** The reason an aborted signal carries, or an AbortError. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The run was cancelled.', 'AbortError');
}

/**
 * Waits for a GPU promise, but not forever: rejects with GpuTimeoutError after `timeoutMs`,
 * GpuLostError when the device is lost, or the signal's reason when it is aborted.
 */
export function waitFor<T>(promise: Promise<T>, options: WaitOptions): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const { signal, lost, what } = options;
  if (signal?.aborted) {
    // Nobody waits for it now: its own failure (a map aborted by destroy(), ...) must not go unhandled.
    promise.catch(() => undefined);
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (done: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      done();
    };
    const timer = setTimeout(() => finish(() => reject(new GpuTimeoutError(what, timeoutMs))), timeoutMs);
    const onAbort = () => finish(() => reject(abortReason(signal!)));
    signal?.addEventListener('abort', onAbort, { once: true });
    lost?.then((info) => finish(() => reject(new GpuLostError(what, info.reason ?? 'unknown', info.message))));
    promise.then(
      (value) => finish(() => resolve(value)),
      (error: unknown) => finish(() => reject(error)),
    );
  });
}

/** Runs fn inside validation and out-of-memory error scopes; throws GpuScopeError on the first error popped. */
export async function withErrorScopes<T>(device: GPUDevice, fn: () => Promise<T>): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: T;
  try {
    result = await fn();
  } finally {
    const validation = await device.popErrorScope();
    const memory = await device.popErrorScope();
    if (validation) throw new GpuScopeError('validation', validation.message);
    if (memory) throw new GpuScopeError('out-of-memory', memory.message);
  }
  return result;
}
