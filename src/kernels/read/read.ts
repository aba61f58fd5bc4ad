// Read kernel wrapper (read.wgsl): pipelines cached per device, inputs whose sums are exact, a dispatch
// encoded into a given pass, and the cost model. Each workgroup reads a block of words and writes one f32.
import { WORD_BYTES } from '../gpu/buffers';
import type { Prepared } from '../gpu/types';
import { checkBuffer, checkWorkgroups, checkWorkgroupSize, firstRefusal } from '../gpu/limits';
import { cachedPerDevice, grid2d, oneDispatch } from '../gpu/pipelines';
import type { Random } from '../gpu/random';
import readSource from './read.wgsl';

/** Each input value is an integer in [-MAX_VALUE, MAX_VALUE]. */
const MAX_VALUE = 8;

export interface ReadShape {
  /** 16-byte words read. */
  words: number;
}

export interface ReadConfig {
  /** Threads per workgroup, a power of two. */
  workgroupSize: number;
  /** Words each thread reads, WORKGROUP_SIZE apart. */
  wordsPerThread: number;
}

export const DEFAULT_READ_CONFIG: ReadConfig = { workgroupSize: 256, wordsPerThread: 4 };

/** Words one workgroup sums into one partial. */
export const blockWords = (config: ReadConfig) => config.workgroupSize * config.wordsPerThread;
/** Partial sums written: one per block, the last block possibly short. */
export const blocks = (shape: ReadShape, config = DEFAULT_READ_CONFIG) => Math.max(1, Math.ceil(shape.words / blockWords(config)));

/** Additions are not counted: the kernel is a bandwidth probe. */
export const flops = (_shape: ReadShape) => 0;
/** Every word read once, and one f32 written per block (1/4096 of the reads at the default config). */
export const bytes = (shape: ReadShape, config = DEFAULT_READ_CONFIG) => WORD_BYTES * shape.words + 4 * blocks(shape, config);

/**
 * Random integers in [-8, 8] as f32: every partial sum of a block of up to 2^19 values (2^17 words, far above
 * any workgroup's block) stays below 2^24 in magnitude, so the GPU's sums are exact in any order.
 */
export function readValue(random: Random): number {
  return Math.floor(random.next() * (2 * MAX_VALUE + 1)) - MAX_VALUE;
}

function readPipeline(device: GPUDevice, config: ReadConfig): GPUComputePipeline {
  const label = `read ${config.workgroupSize}×${config.wordsPerThread}`;
  return cachedPerDevice(device, label, () =>
    device.createComputePipeline({
      label,
      layout: 'auto',
      compute: {
        module: device.createShaderModule({ label, code: readSource }),
        constants: { WORKGROUP_SIZE: config.workgroupSize, WORDS_PER_THREAD: config.wordsPerThread },
      },
    }),
  );
}

/** The 2-D grid for a read: one workgroup per block. */
export function readGrid(shape: ReadShape, config = DEFAULT_READ_CONFIG): { x: number; y: number } {
  return grid2d(blocks(shape, config));
}

/** A refusal naming the limit when this device cannot read `shape` with `config`, else null. */
export function checkRead(limits: Readonly<Record<string, number>>, shape: ReadShape, config = DEFAULT_READ_CONFIG): string | null {
  return firstRefusal(
    checkBuffer(limits, shape.words * WORD_BYTES, 'the read source'),
    checkWorkgroups(limits, readGrid(shape, config).y, 'the read grid’s rows'),
    checkWorkgroupSize(limits, config.workgroupSize, 4 * config.workgroupSize, 'the read workgroup'),
  );
}

/**
 * Binds the first `shape.words` words of `source` and the first `blocks(shape, config)` f32 of `partials`
 * (each needs STORAGE usage and that size) for a read encoded into a pass; it makes nothing of its own to free.
 */
export function prepareRead(
  device: GPUDevice,
  // source: (words) 16-byte words of 4 f32; partials: (blocks) f32
  buffers: { source: GPUBuffer; partials: GPUBuffer },
  shape: ReadShape,
  config = DEFAULT_READ_CONFIG,
): Prepared<{ partials: GPUBuffer }> {
  const { workgroupSize, wordsPerThread } = config;
  if (!Number.isInteger(Math.log2(workgroupSize)) || !(wordsPerThread >= 1 && Number.isInteger(wordsPerThread))) {
    throw new Error(`read: the workgroup size must be a power of two and words per thread a positive integer, got ${workgroupSize} and ${wordsPerThread}`);
  }
  const pipeline = readPipeline(device, config);
  const bindGroup = device.createBindGroup({
    label: `read ${shape.words} words`,
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: buffers.source, size: shape.words * WORD_BYTES } },
      { binding: 1, resource: { buffer: buffers.partials, size: 4 * blocks(shape, config) } },
    ],
  });
  const grid = readGrid(shape, config);
  return oneDispatch(pipeline, bindGroup, grid, { partials: buffers.partials });
}
