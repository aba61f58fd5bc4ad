// Every way getting or using a GPU can end, each with a message a reader understands and whether
// trying again may help. A lab's UI shows the message; the bench prints it.
import { GpuLostError, GpuScopeError, GpuTimeoutError } from './errors';
import type { GpuContext } from './types';

export type GpuProblemKind = 'no-webgpu' | 'no-adapter' | 'device-failed' | 'lost' | 'too-large' | 'gpu-error' | 'timeout';

export interface GpuProblem {
  kind: GpuProblemKind;
  message: string;
  /** Whether running again (with a new adapter and device after a loss) may help. */
  retry: boolean;
}

export type GpuOutcome =
  | {
      kind: 'ok';
      gpu: GpuContext;
      /** A software or fallback adapter: numbers are shown but are not those of a GPU. */
      software: boolean;
    }
  | GpuProblem;

/** The problem an error thrown while running on the GPU stands for; null for a cancelled run. */
export function problemOf(error: unknown): GpuProblem | null {
  if (error instanceof DOMException && error.name === 'AbortError') return null;
  if (error instanceof GpuTimeoutError) {
    return { kind: 'timeout', message: `${error.message}. The GPU may be busy or hung; try a smaller size.`, retry: true };
  }
  if (error instanceof GpuLostError) {
    const message =
      error.reason === 'destroyed'
        ? `${error.message}. The device was closed before the run finished.`
        : `${error.message}. Running again asks for a new device.`;
    return { kind: 'lost', message, retry: true };
  }
  if (error instanceof GpuScopeError) {
    const message =
      error.filter === 'out-of-memory'
        ? `The GPU could not find memory for this size: try a smaller one. (WebGPU said: ${error.message}.)`
        : `The GPU refused a command, which is a bug in the lab: please report it. (WebGPU said: ${error.message}.)`;
    return { kind: 'gpu-error', message, retry: error.filter === 'out-of-memory' };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { kind: 'gpu-error', message, retry: false };
}

/** Whether a software or fallback adapter stands in for a GPU (SwiftShader reports itself as a fallback adapter in Dawn). */
export function isSoftware(gpu: Pick<GpuContext, 'info'>): boolean {
  return gpu.info.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe|warp|microsoft basic render/i.test(`${gpu.info.description} ${gpu.info.device} ${gpu.info.architecture}`);
}
