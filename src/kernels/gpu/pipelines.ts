// What every kernel wrapper needs besides its WGSL: its pipelines made once per device (a lost or dropped
// device lets go of them, since the cache is a WeakMap keyed by it), bind groups of whole buffers, and a 2-D
// grid for more workgroups than one dimension takes.

import type { Prepared } from './types';

const caches = new WeakMap<GPUDevice, Map<string, unknown>>();

/** The value made by `make` for this device and key, made on first use (pipelines, groups of pipelines). */
export function cachedPerDevice<T>(device: GPUDevice, key: string, make: () => T): T {
  let cache = caches.get(device);
  if (!cache) caches.set(device, (cache = new Map()));
  if (!cache.has(key)) cache.set(key, make());
  return cache.get(key) as T;
}

/** Most workgroups a grid puts along x before it adds rows (well under WebGPU's 65535 per dimension). */
export const MAX_WORKGROUPS_X = 32768;

/** `workgroups` laid out as (x, y) with x ≤ MAX_WORKGROUPS_X; the kernel skips the ids past the last. */
export function grid2d(workgroups: number): { x: number; y: number } {
  const x = Math.min(workgroups, MAX_WORKGROUPS_X);
  return { x, y: Math.ceil(workgroups / x) };
}

/** A bind group (group 0) of whole buffers, binding i holding buffers[i]. */
export function bindBuffers(device: GPUDevice, pipeline: GPUComputePipeline, label: string, buffers: GPUBuffer[]): GPUBindGroup {
  return device.createBindGroup({
    label,
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
}

/** A kernel of one dispatch of `pipeline` over `grid`, writing `outputs`; destroy() frees `owned` (what it made). */
export function oneDispatch<Outputs extends Record<string, GPUBuffer>>(
  pipeline: GPUComputePipeline,
  bindGroup: GPUBindGroup,
  grid: { x: number; y: number; z?: number },
  outputs: Outputs,
  owned: GPUBuffer[] = [],
): Prepared<Outputs> {
  return {
    encode(pass) {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(grid.x, grid.y, grid.z ?? 1);
    },
    outputs,
    dispatches: 1,
    destroy() {
      for (const buffer of owned) buffer.destroy();
    },
  };
}

/** Kernels encoded one after another as one: their dispatches summed; destroy() frees them and `owned` (what the caller made for them). */
export function inSequence<Outputs extends Record<string, GPUBuffer>>(parts: Omit<Prepared, 'outputs'>[], outputs: Outputs, owned: GPUBuffer[] = []): Prepared<Outputs> {
  return {
    encode: (pass) => parts.forEach((part) => part.encode(pass)),
    outputs,
    dispatches: parts.reduce((sum, part) => sum + part.dispatches, 0),
    destroy() {
      parts.forEach((part) => part.destroy());
      owned.forEach((buffer) => buffer.destroy());
    },
  };
}
