// Copy kernel wrapper (copy.wgsl): pipelines cached per device, a dispatch encoded into a given pass,
// and the cost model. A copy of `words` 16-byte words reads and writes each once.
import { WORD_BYTES } from '../gpu/buffers';
import { checkBuffer, checkWorkgroups, firstRefusal } from '../gpu/limits';
import copySource from './copy.wgsl';

/** Workgroups along x; the grid's rows take the rest. */
const MAX_WORKGROUPS_X = 32768;

export interface CopyShape {
  /** 16-byte words copied. */
  words: number;
}

/** Nothing computed. */
export const flops = (_shape: CopyShape) => 0;
/** Every word read once and written once. */
export const bytes = (shape: CopyShape) => 2 * WORD_BYTES * shape.words;

export const DEFAULT_WORKGROUP_SIZE = 256;

const pipelines = new WeakMap<GPUDevice, Map<number, GPUComputePipeline>>();

function copyPipeline(device: GPUDevice, workgroupSize: number): GPUComputePipeline {
  let bySize = pipelines.get(device);
  if (!bySize) pipelines.set(device, (bySize = new Map()));
  let pipeline = bySize.get(workgroupSize);
  if (!pipeline) {
    const label = `copy ${workgroupSize}`;
    pipeline = device.createComputePipeline({
      label,
      layout: 'auto',
      compute: { module: device.createShaderModule({ label, code: copySource }), constants: { WORKGROUP_SIZE: workgroupSize } },
    });
    bySize.set(workgroupSize, pipeline);
  }
  return pipeline;
}

/** The 2-D grid for a copy: one thread per word. */
export function copyGrid(shape: CopyShape, workgroupSize = DEFAULT_WORKGROUP_SIZE): { x: number; y: number } {
  const groups = Math.max(1, Math.ceil(shape.words / workgroupSize));
  const x = Math.min(groups, MAX_WORKGROUPS_X);
  return { x, y: Math.ceil(groups / x) };
}

/** A refusal naming the limit when this device cannot copy `shape`, else null. */
export function checkCopy(limits: Readonly<Record<string, number>>, shape: CopyShape, workgroupSize = DEFAULT_WORKGROUP_SIZE): string | null {
  return firstRefusal(
    checkBuffer(limits, shape.words * WORD_BYTES, 'the copy source'),
    checkWorkgroups(limits, copyGrid(shape, workgroupSize).y, 'the copy grid’s rows'),
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
  workgroupSize = DEFAULT_WORKGROUP_SIZE,
): (pass: GPUComputePassEncoder) => void {
  const pipeline = copyPipeline(device, workgroupSize);
  const size = shape.words * WORD_BYTES;
  const bindGroup = device.createBindGroup({
    label: `copy ${shape.words} words`,
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: buffers.source, size } },
      { binding: 1, resource: { buffer: buffers.destination, size } },
    ],
  });
  const grid = copyGrid(shape, workgroupSize);
  return (pass) => {
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(grid.x, grid.y);
  };
}
