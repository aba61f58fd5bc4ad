// Copy kernel wrapper (copy.wgsl): pipelines cached per device, a dispatch encoded into a given pass,
// and the cost model. A copy of `words` 16-byte words reads and writes each once.
import { WORD_BYTES } from '../gpu/buffers';
import type { Prepared } from '../gpu/types';
import { checkBuffer, checkWorkgroups, firstRefusal } from '../gpu/limits';
import { cachedPerDevice, grid2d, oneDispatch } from '../gpu/pipelines';
import copySource from './copy.wgsl';

export interface CopyShape {
  /** 16-byte words copied. */
  words: number;
}

/** Nothing computed. */
export const flops = (_shape: CopyShape) => 0;
/** Every word read once and written once. */
export const bytes = (shape: CopyShape) => 2 * WORD_BYTES * shape.words;

export const DEFAULT_WORKGROUP_SIZE = 256;

function copyPipeline(device: GPUDevice, workgroupSize: number): GPUComputePipeline {
  const label = `copy ${workgroupSize}`;
  return cachedPerDevice(device, label, () =>
    device.createComputePipeline({
      label,
      layout: 'auto',
      compute: { module: device.createShaderModule({ label, code: copySource }), constants: { WORKGROUP_SIZE: workgroupSize } },
    }),
  );
}

/** The 2-D grid for a copy: one thread per word. */
export function copyGrid(shape: CopyShape, workgroupSize = DEFAULT_WORKGROUP_SIZE): { x: number; y: number } {
  return grid2d(Math.max(1, Math.ceil(shape.words / workgroupSize)));
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
 * for a copy encoded into a pass; it makes nothing of its own to free.
 */
export function prepareCopy(
  device: GPUDevice,
  // source, destination: (words) 16-byte words
  buffers: { source: GPUBuffer; destination: GPUBuffer },
  shape: CopyShape,
  workgroupSize = DEFAULT_WORKGROUP_SIZE,
): Prepared<{ destination: GPUBuffer }> {
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
  return oneDispatch(pipeline, bindGroup, grid, { destination: buffers.destination });
}
