// The harness with a lab of data on the copy family: a failed check stops the run before anything is timed; a
// run over the time budget, or beyond the device's limits, is refused before any buffer exists; a buffer found too
// large only while allocating ends the run as too large; Cancel stops between points; every buffer made is freed,
// whatever the outcome.
import { describe, expect, it, vi } from 'vitest';
import { copy } from '../../src/kernels/copy/index';
import type { KernelFamily } from '../../src/kernels/family';
import { fromHalfBits, toHalfBits } from '../../src/kernels/gpu/f16';
import { prepareChecked, resolveParams, runLab, type LabRun } from '../../src/labs/harness';
import type { Lab, LabContext } from '../../src/labs/types';
import { testGpu } from './device';

const gpu = await testGpu();

const params = [
  { name: 'words', label: 'Words', kind: 'list', integer: true, default: '64, 1000, 4099', min: 1, max: 1 << 20 },
  {
    name: 'family',
    label: 'Kernel',
    kind: 'choice',
    default: 'copy',
    choices: [
      { value: 'copy', label: 'the copy' },
      { value: 'wrong', label: 'checked against a reference off by one' },
      { value: 'unforeseen', label: 'a copy whose refusal foresees no limit' },
    ],
  },
] as const;

/** How often the lab's kernel was encoded: once for its check, many times when timed. */
let encoded = 0;

/** `family` with every encode counted. */
function counted(family: KernelFamily<any, any>): KernelFamily<any, any> {
  return {
    ...family,
    prepare(...args) {
      const kernel = family.prepare(...args);
      return { ...kernel, encode: (pass) => (encoded++, kernel.encode(pass)) };
    },
  };
}

const families: Record<string, KernelFamily<any, any>> = {
  copy,
  wrong: { ...copy, reference: async (...args) => (await copy.reference(...args)).map((value) => value + 1) },
  unforeseen: { ...copy, refusal: () => null },
};

const copyLab: Lab<typeof params> = {
  id: 'copy',
  title: 'A copy',
  description: 'Copies words; the harness tests run on it.',
  params,
  quick: {},
  points: (settings) => settings.words.map((words) => ({ shape: { words }, params: { words }, label: `of ${words} words`, seed: 5 })),
  variants: (settings) => [{ label: 'copy', family: counted(families[settings.family]!), version: 'copy' }],
  plots: [],
};

describe.skipIf(!gpu)('the harness', () => {
  const { device } = gpu!;

  function context(overrides: Partial<LabContext> = {}): LabContext {
    return { gpu: gpu!, ceilings: { copyGBps: 1, fp32Gflops: 1 }, timing: { warmup: 1, reps: 3 }, signal: new AbortController().signal, progress: () => {}, ...overrides };
  }

  /** Runs the fake lab, recording every buffer made and every one freed. */
  async function run(overrides: Record<string, string>, ctx = context(), onRecord?: () => void): Promise<{ run: LabRun; made: number; freed: number }> {
    const made = new Set<GPUBuffer>();
    const freed = new Set<GPUBuffer>();
    const create = device.createBuffer.bind(device);
    const spy = vi.spyOn(device, 'createBuffer').mockImplementation((descriptor) => {
      const buffer = create(descriptor);
      made.add(buffer);
      const destroy = buffer.destroy.bind(buffer);
      buffer.destroy = () => (freed.add(buffer), destroy());
      return buffer;
    });
    try {
      const result = await runLab(copyLab, ctx, resolveParams(copyLab, overrides), onRecord);
      return { run: result, made: made.size, freed: [...made].filter((buffer) => freed.has(buffer)).length };
    } finally {
      spy.mockRestore();
    }
  }

  it('checks, then times, every point, and frees every buffer', async () => {
    const { run: result, made, freed } = await run({});
    expect(result.kind).toBe('done');
    expect(result.records.map((record) => record.params['words'])).toEqual([64, 1000, 4099]);
    expect(result.records.every((record) => record.check.ok && record.seconds.median > 0)).toBe(true);
    expect(made).toBeGreaterThan(6);
    expect(freed).toBe(made);
  });

  it('stops at a failed check without timing it, and frees every buffer', async () => {
    encoded = 0;
    // The mismatch is reported with its first pairs (to the console, where a developer looks); kept out of the test log.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { run: result, made, freed } = await run({ family: 'wrong' });
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^the copy kernel of 64 words does not match the CPU:\n0: /));
    warn.mockRestore();
    expect(result.kind).toBe('check-failed');
    expect(result.records).toHaveLength(0);
    expect('message' in result && result.message).toMatch(/The copy kernel of 64 words did not match the CPU reference .* so it was not timed/);
    expect(encoded).toBe(1);
    expect(freed).toBe(made);
  });

  it('refuses a run beyond the time budget before any buffer exists', async () => {
    const slow = context({ ceilings: { copyGBps: 1e-6, fp32Gflops: 1 } });
    const { run: result, made } = await run({}, slow);
    expect(result.kind).toBe('too-large');
    expect('message' in result && result.message).toMatch(/^the slowest point would take about .* beyond the 10 s a point may take/);
    expect(made).toBe(0);
  });

  it('stops between points when cancelled, and frees every buffer', async () => {
    const controller = new AbortController();
    const { run: result, made, freed } = await run({}, context({ signal: controller.signal }), () => controller.abort());
    expect(result.kind).toBe('cancelled');
    expect(result.records).toHaveLength(1);
    expect(freed).toBe(made);
  });

  it('refuses a size beyond the device limits before any buffer exists, naming the limit', async () => {
    const limits = { ...gpu!.limits, maxStorageBufferBindingSize: 2048, maxBufferSize: 2048 };
    const { run: result, made } = await run({ words: '64, 1000' }, context({ gpu: { ...gpu!, limits } }));
    expect(result.kind).toBe('too-large');
    expect('message' in result && result.message).toMatch(/^The copy kernel of 1000 words: the copy source needs .*maxBufferSize/);
    expect(made).toBe(0);
  });

  it('ends the run as too large where a buffer is found beyond the limits only while allocating, and frees every buffer', async () => {
    const limits = { ...gpu!.limits, maxStorageBufferBindingSize: 2048, maxBufferSize: 2048 };
    const { run: result, made, freed } = await run({ words: '64, 1000', family: 'unforeseen' }, context({ gpu: { ...gpu!, limits } }));
    expect(result.kind).toBe('too-large');
    expect('message' in result && result.message).toMatch(/copy source needs .*maxBufferSize/);
    expect(result.records).toHaveLength(1);
    expect(freed).toBe(made);
  });

  it('reads back f16 rows of odd length at offsets that are not whole words, in the order asked for', async () => {
    // The copy of 999 16-byte words of halves, read as 2664 rows of 3 halves: row 1 starts 6 bytes in.
    const words = 999;
    const halves = Uint16Array.from({ length: 8 * words }, (_, i) => toHalfBits((i % 2000) / 8 - 100));
    const checked = [2663, 0, 1, 7, 1000, 1001];
    const asHalves: KernelFamily<any, any> = {
      ...copy,
      inputs: () => halves,
      buffers: (alloc, shape, inputs) => ({
        source: alloc.from(inputs, GPUBufferUsage.STORAGE, 'halves'),
        destination: alloc.empty(16 * shape.words, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'halves copied'),
      }),
      rows: () => ({ count: (8 * words) / 3, length: 3, checked }),
      reference: (inputs: Uint16Array, _shape, rows) => Float64Array.from(rows.flatMap((row) => [0, 1, 2].map((j) => fromHalfBits(inputs[3 * row + j]!)))),
      prepare(device, shape, buffers, version, knobs) {
        return { ...copy.prepare(device, shape, buffers, version, knobs), output: { buffer: buffers['destination']!, element: 'f16' } };
      },
    };
    const checkedRun = await prepareChecked(context(), 'halves', asHalves, { words }, copy.versions[0]!, { workgroupSize: 256 }, { seed: 1, what: 'halves' });
    checkedRun.destroy();
    expect(checkedRun.check).toEqual({ ok: true, maxRelError: 0 });
  });
});
