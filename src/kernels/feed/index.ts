// The feed family on the kernel interface (src/kernels/family.ts): the matrix units fed from workgroup memory,
// the probe's fed f16 matrix rate. Each workgroup fills a block of A and of B into workgroup memory once, then its
// 2×2 subgroups load their 4×4 tiles from there at every step and multiply them (feed.wgsl). One version, no knobs.
// Inputs are multiples of 1/16, so the output is exact; the check reads an even spread of the output's rows.
import { spreadRows, type KernelFamily, type KernelVersion } from '../family';
import { subgroupMaxSizeOf } from '../matrix/matrix';
import { BLOCK, bindFeed, bytes, feedInputs, feedParams, feedRefusal, flops, MAX_ITERATIONS, type FeedInputs, type FeedShape } from './feed';
import { feedReference } from './feed.reference';

/** Rows a check reads: all of a small output, an even spread of a large one (through both rows of subgroups). */
const CHECKED_ROWS = 512;

export const feedVersions = [
  { name: 'feed', label: 'subgroup matrices fed from workgroup memory, f16', unit: 'f16-matrix', element: 'f16', knobs: {} },
] as const satisfies readonly KernelVersion[];

export const feed: KernelFamily<FeedShape, FeedInputs> = {
  id: 'feed',
  versions: feedVersions,
  // One step (one depth only), odd step counts (the depths visited unevenly), more workgroups than block pairs, and
  // the exact-output bound.
  examples: [
    { workgroups: 1, iterations: 1 },
    { workgroups: 9, iterations: 37 },
    { workgroups: 130, iterations: 64 },
    { workgroups: 3, iterations: MAX_ITERATIONS },
  ],
  shapeOf: ({ workgroups, iterations = 2048 }) => {
    if (!workgroups) throw new Error('a feed shape takes workgroups, and iterations (steps of each subgroup; default 2048)');
    return { workgroups, iterations };
  },
  inputs: (_shape, random) => feedInputs(random),
  buffers(alloc, shape, inputs) {
    return {
      params: alloc.from(feedParams(shape, inputs), GPUBufferUsage.UNIFORM, 'feed params'),
      a: alloc.from(inputs.a, GPUBufferUsage.STORAGE, 'feed A blocks'),
      b: alloc.from(inputs.b, GPUBufferUsage.STORAGE, 'feed B blocks'),
      output: alloc.empty(bytes(shape), GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'feed output'),
    };
  },
  // output: (workgroups · BM, BN) f32: a row of a workgroup's block a row.
  rows: (shape) => {
    const count = shape.workgroups * BLOCK.m;
    return { count, length: BLOCK.n, checked: spreadRows(count, CHECKED_ROWS) };
  },
  reference: (inputs, shape, rows) => feedReference(inputs, shape, rows),
  // Exact by construction: any difference is a wrong tile, a wrong depth or a lost step.
  tolerance: () => ({ tolerance: 0 }),
  cost: (shape) => ({ flops: flops(shape), bytes: bytes(shape), dispatches: 1 }),
  refusal: (device, shape) => feedRefusal(device, shape),
  prepare(device, shape, buffers) {
    const output = buffers['output']!;
    const kernel = bindFeed(device, shape, { params: buffers['params']!, a: buffers['a']!, b: buffers['b']!, output }, subgroupMaxSizeOf(device));
    return { ...kernel, output: { buffer: output, element: 'f32' } };
  },
};
