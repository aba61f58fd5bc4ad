import { describe, expect, it } from 'vitest';
import { createBufferFrom, createEmptyBuffer, readBuffer, WORD_BYTES } from '../../src/kernels/gpu/buffers';
import { Random } from '../../src/kernels/gpu/random';
import { copyGrid, prepareCopy } from '../../src/kernels/copy/copy';
import { copyMismatches } from '../../src/kernels/copy/copy.reference';
import { prepareFma, fmaInputs } from '../../src/kernels/fma/fma';
import { blocks, bytes as readBytes, prepareRead, readGrid, readValue, type ReadConfig } from '../../src/kernels/read/read';
import { readPartials } from '../../src/kernels/read/read.reference';
import { testGpu, withScopes } from './device';

const gpu = await testGpu();

function submit(device: GPUDevice, encode: (pass: GPUComputePassEncoder) => void) {
  const encoder = device.createCommandEncoder({ label: 'test' });
  const pass = encoder.beginComputePass({ label: 'test' });
  encode(pass);
  pass.end();
  device.queue.submit([encoder.finish()]);
}

describe.skipIf(!gpu)('copy kernel', () => {
  const { device } = gpu!;
  // Sizes that are not multiples of the workgroup, and one whose grid needs a second row (32768 × 32 + 37 words).
  const cases: [number, number][] = [
    [1, 256],
    [1000, 256],
    [4099, 64],
    [32768 * 32 + 37, 32],
  ];
  it('spills a large grid into rows', () => {
    expect(copyGrid({ words: 32768 * 32 + 37 }, 32)).toEqual({ x: 32768, y: 2 });
  });
  for (const [words, workgroupSize] of cases) {
    it(`copies every word of ${words} words (${workgroupSize} threads per workgroup)`, async () => {
      await withScopes(device, async () => {
        const random = new Random(words);
        const values = Uint32Array.from({ length: words * 4 }, () => Math.floor(random.next() * 2 ** 32));
        // A destination larger than the copy: words past the end must stay untouched.
        const source = createBufferFrom(device, values, GPUBufferUsage.STORAGE, 'copy source');
        const destination = createEmptyBuffer(device, (words + 3) * WORD_BYTES, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'copy destination');
        submit(device, prepareCopy(device, { source, destination }, { words }, workgroupSize).encode);
        const copied = new Uint32Array(await readBuffer(device, destination, (words + 3) * WORD_BYTES));
        expect(copyMismatches(values, copied.subarray(0, words * 4))).toEqual([]);
        expect([...copied.subarray(words * 4)]).toEqual(new Array(12).fill(0));
        source.destroy();
        destination.destroy();
      });
    });
  }
});

describe.skipIf(!gpu)('read kernel', () => {
  const { device } = gpu!;
  // Odd sizes: a short last block, a workgroup of one thread whose grid needs a second row (32768 + 5 blocks).
  const cases: [number, ReadConfig][] = [
    [1, { workgroupSize: 256, wordsPerThread: 4 }],
    [4099, { workgroupSize: 256, wordsPerThread: 4 }],
    [1001, { workgroupSize: 64, wordsPerThread: 3 }],
    [32768 + 5, { workgroupSize: 1, wordsPerThread: 1 }],
  ];
  it('spills a large grid into rows and counts its bytes', () => {
    expect(readGrid({ words: 32768 + 5 }, { workgroupSize: 1, wordsPerThread: 1 })).toEqual({ x: 32768, y: 2 });
    expect(readBytes({ words: 4099 })).toBe(16 * 4099 + 4 * 5);
  });
  for (const [words, config] of cases) {
    it(`sums every block of ${words} words exactly (${config.workgroupSize} threads × ${config.wordsPerThread} words)`, async () => {
      await withScopes(device, async () => {
        const random = new Random(words + config.wordsPerThread);
        const values = Float32Array.from({ length: words * 4 }, () => readValue(random));
        const count = blocks({ words }, config);
        const source = createBufferFrom(device, values, GPUBufferUsage.STORAGE, 'read source');
        // Two partials more than the blocks: those past the end must stay untouched.
        const partials = createEmptyBuffer(device, 4 * (count + 2), GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'read partials');
        submit(device, prepareRead(device, { source, partials }, { words }, config).encode);
        const sums = new Float32Array(await readBuffer(device, partials, 4 * (count + 2)));
        const expected = readPartials(values, config.workgroupSize * config.wordsPerThread);
        expect(expected.some((sum) => sum !== 0)).toBe(true);
        expect([...sums.subarray(0, count)]).toEqual([...expected]);
        expect([...sums.subarray(count)]).toEqual([0, 0]);
        source.destroy();
        partials.destroy();
      });
    });
  }

  it('refuses a workgroup size that is not a power of two', () => {
    const buffer = createEmptyBuffer(device, 64, GPUBufferUsage.STORAGE, 'unused');
    expect(() => prepareRead(device, { source: buffer, partials: buffer }, { words: 4 }, { workgroupSize: 96, wordsPerThread: 1 })).toThrow(/power of two/);
    buffer.destroy();
  });
});

// The FMA chains against the CPU at odd shapes are the conformance test's (the fma family).
describe.skipIf(!gpu)('FMA kernel', () => {
  const { device } = gpu!;
  it('refuses an iteration count that is not a multiple of 64', () => {
    expect(() => prepareFma(device, { threads: 4, iterations: 96 }, fmaInputs(new Random(1), 'f32', 4), 'f32')).toThrow(/multiple of 64/);
  });
});
