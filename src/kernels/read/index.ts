// The read family on the kernel interface (src/kernels/family.ts): each workgroup sums a block of 16-byte words and
// writes one f32, the probe's read bandwidth. One version (read.wgsl; knobs: threads a workgroup and words a thread,
// whose product is the block, so the sums the check compares follow the knobs). Inputs are integers, so every sum
// is exact in any order, and the source is filled in pieces from a seed.
import type { KernelFamily, KernelResult, KernelVersion, Knobs } from '../family';
import { Random } from '../gpu/random';
import { WORD_BYTES } from '../gpu/buffers';
import { PIECE_VALUES, writeDrawn, type SeededInputs } from '../copy/index';
import { blocks, blockWords, bytes, checkRead, DEFAULT_READ_CONFIG, prepareRead, readValue, type ReadConfig, type ReadShape } from './read';
import { readPartials } from './read.reference';

export const readVersions = [
  {
    name: 'read',
    label: 'read, a sum a block of 16-byte words',
    unit: 'fp32',
    element: 'f32',
    knobs: { workgroupSize: [DEFAULT_READ_CONFIG.workgroupSize, 64, 128, 512], wordsPerThread: [DEFAULT_READ_CONFIG.wordsPerThread, 1, 2, 8] },
  },
] as const satisfies readonly KernelVersion[];

const configFrom = (knobs: Knobs): ReadConfig => ({ ...DEFAULT_READ_CONFIG, ...knobs });

const valuesFrom = (seed: number) => {
  const random = new Random(seed);
  return () => readValue(random);
};

/**
 * The partials of `config`'s blocks and the slot after the last, which must stay zero: (blocks + 1) f64. The values
 * are regenerated from the seed in pieces of whole blocks, each piece's blocks summed by readPartials.
 */
function partials(inputs: SeededInputs, shape: ReadShape, config: ReadConfig): Float64Array {
  const draw = valuesFrom(inputs.seed);
  const blockValues = 4 * blockWords(config);
  const count = 4 * shape.words;
  const piece = new Float32Array(Math.min(count, Math.max(1, Math.floor(PIECE_VALUES / blockValues)) * blockValues));
  const sums = new Float64Array(blocks(shape, config) + 1);
  for (let first = 0; first < count; first += piece.length) {
    const values = piece.subarray(0, Math.min(piece.length, count - first));
    for (let i = 0; i < values.length; i++) values[i] = draw();
    sums.set(readPartials(values, blockWords(config)), first / blockValues);
  }
  return sums;
}

/** Its name: each block size's sums are made once a point. */
const nameOf = (config: ReadConfig) => `partials of ${blockWords(config)} words`;

/** The one result at `config`: its blocks' sums and the slot after the last. */
function partialsAt(shape: ReadShape, config: ReadConfig): KernelResult<ReadShape, SeededInputs> {
  return { name: nameOf(config), rows: { count: 1, length: blocks(shape, config) + 1 }, reference: (inputs) => partials(inputs, shape, config) };
}

export const read: KernelFamily<ReadShape, SeededInputs> = {
  id: 'read',
  versions: readVersions,
  examples: [{ words: 1 }, { words: 1001 }, { words: 4099 }],
  shapeOf: ({ words }) => {
    if (!words) throw new Error('a read shape takes words (16-byte words read)');
    return { words };
  },
  inputs: (_shape, random) => ({ seed: Math.floor(random.next() * 2 ** 32) }),
  buffers(alloc, shape, inputs, _version, knobs) {
    // source: (words) 16-byte words of 4 f32; partials: (blocks + 1) f32, the last never written
    const source = alloc.empty(shape.words * WORD_BYTES, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, 'read source');
    writeDrawn(alloc.device, source, 4 * shape.words, valuesFrom(inputs.seed));
    const count = blocks(shape, configFrom(knobs)) + 1;
    return { source, partials: alloc.empty(4 * count, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'read partials') };
  },
  rows: (shape) => partialsAt(shape, DEFAULT_READ_CONFIG).rows,
  reference: (inputs, shape) => partials(inputs, shape, DEFAULT_READ_CONFIG),
  resultsOf: (shape, _version, knobs) => [partialsAt(shape, configFrom(knobs))],
  // Sums of integers below 2^24: exact in any order.
  tolerance: () => ({ tolerance: 0 }),
  cost: (shape) => ({ flops: 0, bytes: bytes(shape), dispatches: 1 }),
  refusal: (device, shape, _version, knobs) => checkRead(device.limits, shape, configFrom(knobs)),
  prepare(device, shape, buffers, _version, knobs) {
    const config = configFrom(knobs);
    const kernel = prepareRead(device, { source: buffers['source']!, partials: buffers['partials']! }, shape, config);
    const output = { buffer: buffers['partials']!, element: 'f32' as const };
    return { ...kernel, output, results: { [nameOf(config)]: output } };
  },
};
