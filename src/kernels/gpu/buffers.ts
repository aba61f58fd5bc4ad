// Buffers in and out of the GPU. Every buffer carries a label, so validation errors name it.
import { waitFor } from './errors';

/** The bytes of one word the kernels move at a time: a vec4 of 32-bit values (vec4<u32>, vec4f). */
export const WORD_BYTES = 16;

const align4 = (bytes: number) => Math.max(4, Math.ceil(bytes / 4) * 4);

/** A buffer holding a copy of `data` (padded to a multiple of 4 bytes), written at creation. */
export function createBufferFrom(device: GPUDevice, data: ArrayBufferView, usage: GPUBufferUsageFlags, label: string): GPUBuffer {
  const buffer = device.createBuffer({ label, size: align4(data.byteLength), usage, mappedAtCreation: true });
  new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  buffer.unmap();
  return buffer;
}

/** An uninitialized (zeroed by WebGPU) buffer of `bytes` bytes, rounded up to a multiple of 4. */
export function createEmptyBuffer(device: GPUDevice, bytes: number, usage: GPUBufferUsageFlags, label: string): GPUBuffer {
  return device.createBuffer({ label, size: align4(bytes), usage });
}

export interface ReadOptions {
  /** Byte offset into the source buffer (a multiple of 4). */
  offset?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The device's `lost` promise, so a lost device ends the wait. */
  lost?: Promise<GPUDeviceLostInfo>;
}

/** Copies `bytes` bytes of `buffer` (which needs COPY_SRC) to the CPU through a staging buffer. */
export async function readBuffer(device: GPUDevice, buffer: GPUBuffer, bytes: number, options: ReadOptions = {}): Promise<ArrayBuffer> {
  const size = align4(bytes);
  const staging = device.createBuffer({ label: `${buffer.label} read back`, size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    const encoder = device.createCommandEncoder({ label: `read ${buffer.label}` });
    encoder.copyBufferToBuffer(buffer, options.offset ?? 0, staging, 0, size);
    device.queue.submit([encoder.finish()]);
    await waitFor(staging.mapAsync(GPUMapMode.READ), {
      what: `reading ${buffer.label}`,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      lost: options.lost,
    });
    return staging.getMappedRange().slice(0, bytes);
  } finally {
    staging.destroy();
  }
}
