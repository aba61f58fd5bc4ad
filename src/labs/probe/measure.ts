// The probe's measurements, each checked before it is timed against the kernels' CPU references: a copy
// (every word compared with its source, copyMismatches), a read (every block's sum compared with the CPU's
// exactly, readPartials) and FMA chains (sampled threads compared with fmaReference). Large buffers are
// filled and checked in pieces of FILL_CHUNK_BYTES, so the CPU never holds a second copy of one.
import { prepareCopy } from '../../kernels/copy/copy';
import { copyMismatches } from '../../kernels/copy/copy.reference';
import { prepareFma, fmaInputs, type FmaPrecision, type FmaShape } from '../../kernels/fma/fma';
import { prepareMatrix, matrixInputs, subgroupMaxSizeOf, TILE_ELEMENTS, CHAINS_PER_SUBGROUP, type MatrixShape } from '../../kernels/matrix/matrix';
import { matrixReference } from '../../kernels/matrix/matrix.reference';
import { fmaReference } from '../../kernels/fma/fma.reference';
import { createEmptyBuffer, readBuffer, WORD_BYTES } from '../../kernels/gpu/buffers';
import { compare } from '../../kernels/gpu/check';
import { Random } from '../../kernels/gpu/random';
import { measure, submitOnce } from '../../kernels/gpu/timing';
import type { GpuContext, Timing, TimingOptions } from '../../kernels/gpu/types';
import { blocks, blockWords, prepareRead, DEFAULT_READ_CONFIG, readValue, type ReadConfig } from '../../kernels/read/read';
import { readPartials } from '../../kernels/read/read.reference';

export type ProbeTiming = TimingOptions & { signal?: AbortSignal };
export interface Checked {
  timing: Timing;
  check: { maxRelError: number; ok: boolean; mismatches: string[] };
}

const SEED = 20261122;

/** A pair of copy buffers of `words` 16-byte words; the source holds random words, regenerated from SEED to check. */
export interface CopyBuffers {
  source: GPUBuffer;
  destination: GPUBuffer;
  words: number;
  destroy(): void;
}

/** Random words in order from SEED: the source's contents, also used to check a copy without keeping a second copy. */
function randomWords(random: Random, into: Uint32Array) {
  for (let i = 0; i < into.length; i++) into[i] = (random.next() * 4294967296) >>> 0;
}

/** Random words are written, and results read back and checked, in pieces of this many bytes (a multiple of WORD_BYTES). */
const FILL_CHUNK_BYTES = 16 * 2 ** 20;

export function createCopyBuffers(device: GPUDevice, words: number): CopyBuffers {
  const bytes = words * WORD_BYTES;
  // A plain device-local buffer written through the queue (not mapped at creation, which may pick a host-visible memory type).
  const source = device.createBuffer({ label: 'probe copy source', size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  const random = new Random(SEED);
  const chunk = new Uint32Array(Math.min(bytes, FILL_CHUNK_BYTES) / 4);
  for (let offset = 0; offset < bytes; offset += chunk.byteLength) {
    const piece = chunk.subarray(0, Math.min(chunk.length, (bytes - offset) / 4));
    randomWords(random, piece);
    device.queue.writeBuffer(source, offset, piece);
  }
  const destination = device.createBuffer({
    label: 'probe copy destination',
    size: bytes,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  return {
    source,
    destination,
    words,
    destroy() {
      source.destroy();
      destination.destroy();
    },
  };
}

/**
 * Copies the first `words` words once into a cleared destination and checks every one (and the word after),
 * then times `dispatches` copies in each timed pass (several for a small working set, so a pass is not
 * all launch latency).
 */
export async function measureCopy(
  gpu: GpuContext,
  buffers: CopyBuffers,
  words: number,
  timing: ProbeTiming,
  dispatches = 1,
): Promise<Checked> {
  const { device } = gpu;
  const { encode } = prepareCopy(device, buffers, { words });
  submitOnce(device, encode, 'probe copy check', (encoder) => encoder.clearBuffer(buffers.destination));
  // The copied words must equal the source regenerated from SEED, and the word after them must stay zero.
  const copiedValues = words * 4;
  const checkedBytes = Math.min(words + 1, buffers.words) * WORD_BYTES;
  const random = new Random(SEED);
  const expected = new Uint32Array(Math.min(checkedBytes, FILL_CHUNK_BYTES) / 4);
  const mismatches: string[] = [];
  let wrong = 0;
  for (let offset = 0; offset < checkedBytes; offset += FILL_CHUNK_BYTES) {
    const length = Math.min(FILL_CHUNK_BYTES, checkedBytes - offset) / 4;
    const first = offset / 4;
    const copied = new Uint32Array(
      await readBuffer(device, buffers.destination, length * 4, { offset, timeoutMs: timing.timeoutMs, signal: timing.signal, lost: gpu.lost }),
    );
    const inCopy = Math.max(0, Math.min(length, copiedValues - first));
    const source = expected.subarray(0, inCopy);
    randomWords(random, source);
    for (const i of copyMismatches(source, copied.subarray(0, inCopy), inCopy)) {
      wrong++;
      if (mismatches.length < 5) mismatches.push(`${first + i}: ${copied[i]} vs ${source[i]}`);
    }
    for (const i of copyMismatches(new Uint32Array(length - inCopy), copied.subarray(inCopy), length - inCopy)) {
      wrong++;
      mismatches.push(`${first + inCopy + i}: ${copied[inCopy + i]} vs 0 (past the end of the copy)`);
    }
  }
  if (wrong > 0) mismatches.push(`${wrong} of ${checkedBytes / 4} u32 values wrong`, 'hint: a word the grid missed, or a write past the end; try a size that is not a multiple of the workgroup');
  const check = { maxRelError: wrong > 0 ? 1 : 0, ok: wrong === 0, mismatches };
  const encodeAll = (timed: GPUComputePassEncoder) => {
    for (let i = 0; i < dispatches; i++) encode(timed);
  };
  return { check, timing: await measure(gpu, encodeAll, timing) };
}

/**
 * Fills a source of `words` words with random integers from SEED (summing each block on the CPU as it goes, so
 * no second copy is held), reads it once and compares every block's sum, exact by construction, and the slot
 * after the last, which must stay zero; then times the read. Frees its buffers.
 */
export async function measureRead(gpu: GpuContext, words: number, timing: ProbeTiming, config: ReadConfig = DEFAULT_READ_CONFIG): Promise<Checked> {
  const { device } = gpu;
  const count = blocks({ words }, config);
  const bytes = words * WORD_BYTES;
  // source: (words) 16-byte words of 4 f32; partials: (count + 1) f32, the last one never written.
  const source = device.createBuffer({ label: 'probe read source', size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  const partials = createEmptyBuffer(device, 4 * (count + 1), GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'probe read partials');
  try {
    // expected: (count + 1) sums, the last one zero. Pieces hold whole blocks, so each piece's readPartials are its blocks' sums.
    const expected = new Float64Array(count + 1);
    const random = new Random(SEED + 1);
    const blockBytes = blockWords(config) * WORD_BYTES;
    const chunk = new Float32Array(Math.min(bytes, Math.max(1, Math.floor(FILL_CHUNK_BYTES / blockBytes)) * blockBytes) / 4);
    for (let offset = 0; offset < bytes; offset += chunk.byteLength) {
      const piece = chunk.subarray(0, Math.min(chunk.length, (bytes - offset) / 4));
      for (let i = 0; i < piece.length; i++) piece[i] = readValue(random);
      expected.set(readPartials(piece, blockWords(config)), offset / blockBytes);
      device.queue.writeBuffer(source, offset, piece);
    }
    const { encode } = prepareRead(device, { source, partials }, { words }, config);
    submitOnce(device, encode, 'probe read check');
    const sums = new Float32Array(await readBuffer(device, partials, 4 * (count + 1), { timeoutMs: timing.timeoutMs, signal: timing.signal, lost: gpu.lost }));
    const mismatches: string[] = [];
    let wrong = 0;
    for (let i = 0; i <= count; i++) {
      if (sums[i] === expected[i]) continue;
      wrong++;
      if (mismatches.length < 5) mismatches.push(`${i}: ${sums[i]} vs ${expected[i]}${i === count ? ' (past the last block)' : ''}`);
    }
    if (wrong > 0) mismatches.push(`${wrong} of ${count + 1} sums wrong (${count} blocks and the slot after them)`, 'hint: a word the grid missed or read twice, or a block indexed wrongly; try a size that is not a multiple of the block');
    const check = { maxRelError: wrong > 0 ? 1 : 0, ok: wrong === 0, mismatches };
    return { check, timing: await measure(gpu, encode, timing) };
  } finally {
    source.destroy();
    partials.destroy();
  }
}

/** Tolerances: f32 chains match a fused CPU evaluation closely; f16 rounds each step to 11 bits. */
const FMA_TOLERANCE: Record<FmaPrecision, number> = { f32: 1e-4, f16: 1e-2 };
/** Threads checked against the CPU: all of a small grid, an even spread of a large one. */
const FMA_CHECKED_THREADS = 2048;

/** Runs the FMA chains once, checks a spread of threads against the CPU, then times them. */
export async function measureFma(gpu: GpuContext, shape: FmaShape, precision: FmaPrecision, timing: ProbeTiming): Promise<Checked> {
  const { device } = gpu;
  const inputs = fmaInputs(new Random(SEED + shape.threads), precision);
  const kernel = prepareFma(device, shape, inputs, precision);
  try {
    submitOnce(device, (pass) => kernel.encode(pass), `probe fma ${precision} check`);
    const output = new Float32Array(await readBuffer(device, kernel.outputs.output, shape.threads * 4, { timeoutMs: timing.timeoutMs, signal: timing.signal, lost: gpu.lost }));
    const count = Math.min(shape.threads, FMA_CHECKED_THREADS);
    const threads = Array.from({ length: count }, (_, i) => Math.floor((i * shape.threads) / count));
    // The last thread too: the grid's tail.
    threads[count - 1] = shape.threads - 1;
    const expected = fmaReference(inputs, shape.iterations, precision, threads);
    const check = compare(
      threads.map((t) => output[t]!),
      expected,
      { tolerance: FMA_TOLERANCE[precision] },
    );
    const measured = await measure(gpu, (p) => kernel.encode(p), timing);
    return { check, timing: measured };
  } finally {
    // WebGPU keeps a destroyed buffer alive until the work already submitted with it is done.
    kernel.destroy();
  }
}

/** Subgroups whose chains are checked against the CPU: all of a small grid, an even spread of a large one. */
const MATRIX_CHECKED_SUBGROUPS = 256;

/**
 * Runs the matrix chains once, checks a spread of subgroups against the CPU (exact by construction, so any
 * difference is a wrong tile or a lost step), then times them.
 */
export async function measureMatrix(gpu: GpuContext, shape: MatrixShape, timing: ProbeTiming): Promise<Checked> {
  const { device } = gpu;
  const inputs = matrixInputs(new Random(SEED + shape.subgroups));
  const kernel = prepareMatrix(device, shape, inputs, subgroupMaxSizeOf(device));
  try {
    submitOnce(device, (pass) => kernel.encode(pass), 'probe matrix check');
    const output = new Float32Array(await readBuffer(device, kernel.outputs.output, kernel.outputs.output.size, { timeoutMs: timing.timeoutMs, signal: timing.signal, lost: gpu.lost }));
    const count = Math.min(shape.subgroups, MATRIX_CHECKED_SUBGROUPS);
    const subgroups = Array.from({ length: count }, (_, i) => Math.floor((i * shape.subgroups) / count));
    subgroups[count - 1] = shape.subgroups - 1;
    const tile = CHAINS_PER_SUBGROUP * TILE_ELEMENTS;
    const actual = subgroups.flatMap((s) => Array.from(output.subarray(s * tile, (s + 1) * tile)));
    const check = compare(actual, matrixReference(inputs, shape, subgroups), { tolerance: 1e-6 });
    return { check, timing: await measure(gpu, (p) => kernel.encode(p), timing) };
  } finally {
    kernel.destroy();
  }
}
