// The copy family on the kernel interface (src/kernels/family.ts): destination = source, in 16-byte words, the
// probe's copy bandwidth. One version (copy.wgsl: one word a thread; knob: threads a workgroup). A run may repeat
// the copy in one pass, each dispatch waiting for the one before: how the probe times a working set too small to
// time alone, and the launch floor. Sources are filled in pieces from a seed, so the CPU never holds a large one.
import { spreadRows, type KernelFamily, type KernelVersion } from '../family';
import { WORD_BYTES } from '../gpu/buffers';
import { checkWorkgroupSize, firstRefusal } from '../gpu/limits';
import { inSequence } from '../gpu/pipelines';
import { Random } from '../gpu/random';
import { bytes, checkCopy, DEFAULT_WORKGROUP_SIZE, prepareCopy, type CopyShape } from './copy';

/** A copy of `words` words, run `repeats` times one after another in one pass (default 1). */
export interface CopyRun extends CopyShape {
  repeats?: number;
}

/** The source's values: f32 drawn uniformly in [-1, 1) from `seed`, regenerated to check the copy. */
export interface SeededInputs {
  seed: number;
}

/** Values are written, and regenerated, in pieces of this many (16 MiB). */
export const PIECE_VALUES = 4 * 2 ** 20;
/** Words (rows of 4 values) a check reads: all of a small copy, an even spread of a large one. */
const CHECKED_WORDS = 65536;

/**
 * Writes `count` f32 values drawn by `draw` into the start of `buffer` (which needs COPY_DST), in pieces, so the
 * CPU never holds a copy of a large buffer.
 */
export function writeDrawn(device: GPUDevice, buffer: GPUBuffer, count: number, draw: () => number): void {
  const piece = new Float32Array(Math.min(count, PIECE_VALUES));
  for (let first = 0; first < count; first += piece.length) {
    const length = Math.min(piece.length, count - first);
    for (let i = 0; i < length; i++) piece[i] = draw();
    device.queue.writeBuffer(buffer, 4 * first, piece, 0, length);
  }
}

/** The `rows` (sorted) of `length` values each of the sequence `draw` makes, as f32, in f64. */
function drawnRows(draw: () => number, length: number, rows: readonly number[]): Float64Array {
  const out = new Float64Array(rows.length * length);
  let value = 0;
  for (const [i, row] of rows.entries()) {
    for (; value < row * length; value++) draw();
    for (let j = 0; j < length; j++, value++) out[i * length + j] = Math.fround(draw());
  }
  return out;
}

const uniformFrom = (seed: number) => {
  const random = new Random(seed);
  return () => random.uniform(-1, 1);
};

export const copyVersions = [
  { name: 'copy', label: 'copy, 16-byte words', unit: 'fp32', element: 'f32', knobs: { workgroupSize: [DEFAULT_WORKGROUP_SIZE, 64, 128] } },
] as const satisfies readonly KernelVersion[];

export const copy: KernelFamily<CopyRun, SeededInputs> = {
  id: 'copy',
  versions: copyVersions,
  examples: [{ words: 1 }, { words: 1000 }, { words: 4099 }, { words: 37, repeats: 3 }],
  shapeOf: ({ words, repeats = 1 }) => {
    if (!words) throw new Error('a copy shape takes words (16-byte words copied) and repeats (copies a pass, default 1)');
    return { words, repeats };
  },
  inputs: (_shape, random) => ({ seed: Math.floor(random.next() * 2 ** 32) }),
  buffers(alloc, shape, inputs) {
    // source, destination: (words) 16-byte words of 4 f32
    const source = alloc.empty(shape.words * WORD_BYTES, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, 'copy source');
    writeDrawn(alloc.device, source, 4 * shape.words, uniformFrom(inputs.seed));
    return { source, destination: alloc.empty(shape.words * WORD_BYTES, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'copy destination') };
  },
  rows: (shape) => ({ count: shape.words, length: 4, checked: spreadRows(shape.words, CHECKED_WORDS) }),
  reference: (inputs, _shape, rows) => drawnRows(uniformFrom(inputs.seed), 4, rows),
  // A copy moves bits: every checked value must come back exactly.
  tolerance: () => ({ tolerance: 0 }),
  cost: (shape) => ({ flops: 0, bytes: (shape.repeats ?? 1) * bytes(shape), dispatches: shape.repeats ?? 1 }),
  refusal(device, shape, _version, knobs) {
    const repeats = shape.repeats ?? 1;
    if (!(Number.isInteger(repeats) && repeats >= 1)) return `a copy repeats a whole number of times, at least once; received ${repeats}`;
    const workgroupSize = knobs['workgroupSize'] ?? DEFAULT_WORKGROUP_SIZE;
    return firstRefusal(checkCopy(device.limits, shape, workgroupSize), checkWorkgroupSize(device.limits, workgroupSize, 0, 'the copy workgroup'));
  },
  prepare(device, shape, buffers, _version, knobs) {
    const once = prepareCopy(device, { source: buffers['source']!, destination: buffers['destination']! }, shape, knobs['workgroupSize']);
    const kernel = inSequence(Array.from({ length: shape.repeats ?? 1 }, () => once), once.outputs);
    return { ...kernel, output: { buffer: buffers['destination']!, element: 'f32' } };
  },
};
