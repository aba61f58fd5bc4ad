// Copy kernel wrapper (copy.wgsl): pipelines cached per device, a dispatch encoded into a given pass,
// and the cost model. A copy of `words` 16-byte words reads and writes each once.
import { checkBuffer, checkWorkgroups, firstRefusal } from '../gpu/limits';
import copySource from './copy.wgsl';

export const WORD_BYTES = 16;

export interface CopyShape {
  /** 16-byte words copied. */
  words: number;
}

/** Nothing computed. */
export const flops = (_shape: CopyShape) => 0;
/** Every word read once and written once. */
export const bytes = (shape: CopyShape) => 2 * WORD_BYTES * shape.words;

/** How the copy is cut into workgroups. */
export interface CopyConfig {
  workgroupSize: number;
  /** Words each thread loads before it stores. */
  vec4PerThread: number;
  /** Largest grid; beyond it threads loop (grid-stride). */
  maxWorkgroups: number;
}

/** On an H100 every grid from 128 to 1024 threads × 1 to 4 words ran at 1.64–1.69 TB/s (2026-11-22); capping the grid at 2112 workgroups lost 5–10%. */
export const DEFAULT_COPY: CopyConfig = { workgroupSize: 256, vec4PerThread: 2, maxWorkgroups: 65535 };

/** copy.wgsl with VEC4_PER_THREAD set: a function-scope array needs a constant size. */
export function copyShader(vec4PerThread: number): string {
  if (!Number.isInteger(vec4PerThread) || vec4PerThread < 1) throw new Error(`copy: vec4PerThread must be a positive integer, got ${vec4PerThread}`);
  return copySource.replace(/const VEC4_PER_THREAD = \d+u;/, `const VEC4_PER_THREAD = ${vec4PerThread}u;`);
}

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

export function copyPipeline(device: GPUDevice, config: CopyConfig): GPUComputePipeline {
  let byConfig = pipelines.get(device);
  if (!byConfig) pipelines.set(device, (byConfig = new Map()));
  const key = `${config.workgroupSize}/${config.vec4PerThread}`;
  let pipeline = byConfig.get(key);
  if (!pipeline) {
    const label = `copy ${key}`;
    pipeline = device.createComputePipeline({
      label,
      layout: 'auto',
      compute: {
        module: device.createShaderModule({ label, code: copyShader(config.vec4PerThread) }),
        constants: { WORKGROUP_SIZE: config.workgroupSize },
      },
    });
    byConfig.set(key, pipeline);
  }
  return pipeline;
}

/** Workgroups for a copy: one step per thread where the grid allows, else the largest grid. */
export function copyWorkgroups(shape: CopyShape, config: CopyConfig): number {
  return Math.max(1, Math.min(config.maxWorkgroups, Math.ceil(shape.words / (config.workgroupSize * config.vec4PerThread))));
}

/** A refusal naming the limit when this device cannot copy `shape`, else null. */
export function checkCopy(limits: Readonly<Record<string, number>>, shape: CopyShape, config: CopyConfig = DEFAULT_COPY): string | null {
  return firstRefusal(
    checkBuffer(limits, shape.words * WORD_BYTES, 'the copy source'),
    checkWorkgroups(limits, copyWorkgroups(shape, config), 'the copy grid'),
  );
}

/**
 * Binds the first `shape.words` words of `source` and `destination` (each needs STORAGE usage and that size)
 * and returns a function that encodes the copy into a pass.
 */
export function createCopy(
  device: GPUDevice,
  // source, destination: (words) 16-byte words
  buffers: { source: GPUBuffer; destination: GPUBuffer },
  shape: CopyShape,
  config: CopyConfig = DEFAULT_COPY,
): (pass: GPUComputePassEncoder) => void {
  const pipeline = copyPipeline(device, config);
  const size = shape.words * WORD_BYTES;
  const bindGroup = device.createBindGroup({
    label: `copy ${shape.words} words`,
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: buffers.source, size } },
      { binding: 1, resource: { buffer: buffers.destination, size } },
    ],
  });
  const workgroups = copyWorkgroups(shape, config);
  return (pass) => {
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(workgroups);
  };
}
