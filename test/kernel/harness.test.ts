// The harness with a fake lab (the copy kernel, checked against its source): a failed check stops the run before
// anything is timed; a run over the time budget is refused before any buffer exists; Cancel stops between
// points; every buffer made is freed, whatever the outcome.
import { describe, expect, it, vi } from 'vitest';
import { prepareCopy } from '../../src/kernels/copy/copy';
import { WORD_BYTES } from '../../src/kernels/gpu/buffers';
import { checkOutput, resolveParams, Resources, runLab, runOnce, timeRuns, type LabRun } from '../../src/labs/harness';
import { makeRecord } from '../../src/labs/record';
import type { Lab, LabContext } from '../../src/labs/types';
import { testGpu } from './device';

const gpu = await testGpu();

const params = [
  { name: 'words', label: 'Words', kind: 'list', integer: true, default: '64, 1000, 4099', min: 1, max: 1 << 20 },
  { name: 'wrong', label: 'Wrong output', kind: 'choice', default: 'no', choices: [{ value: 'no', label: 'no' }, { value: 'yes', label: 'yes' }] },
] as const;

/** How often the fake lab's kernel was encoded: once for its check, many times when timed. */
let encoded = 0;

const copyLab: Lab<typeof params> = {
  id: 'copy',
  title: 'A copy',
  description: 'Copies words; the harness tests run on it.',
  params,
  quick: {},
  validate: () => null,
  cost: (settings) => settings.words.map((words) => ({ flops: 0, bytes: 2 * WORD_BYTES * words, unit: 'fp32', extraDispatches: 0 })),
  async *run(ctx, settings) {
    for (const words of settings.words) {
      const resources = new Resources(ctx, 'copy');
      try {
        const data = Uint32Array.from({ length: 4 * words }, (_, i) => (i * 2654435761) >>> 0);
        const source = resources.from(data, GPUBufferUsage.STORAGE, 'source');
        const destination = resources.empty(data.byteLength, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'destination');
        const copy = prepareCopy(ctx.gpu.device, { source, destination }, { words });
        const encode = (pass: GPUComputePassEncoder) => (encoded++, copy.encode(pass));
        const actual = new Uint32Array((await runOnce(ctx, encode, destination, data.byteLength, 'copy')).buffer);
        const expected = settings.wrong === 'yes' ? data.map((value) => value ^ 1) : data;
        const check = checkOutput(actual, expected, { tolerance: 0 }, 'copy');
        const timing = await timeRuns(ctx, check, `The copy of ${words} words`, encode);
        yield makeRecord({ lab: 'copy', variant: 'copy', params: { words }, timing, flops: 0, bytes: 2 * data.byteLength, ceilings: ctx.ceilings, check, unit: 'fp32', extraDispatches: 0 });
      } finally {
        resources.destroy();
      }
    }
  },
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
    const { run: result, made, freed } = await run({ wrong: 'yes' });
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^copy does not match the CPU:\n0: /));
    warn.mockRestore();
    expect(result.kind).toBe('check-failed');
    expect(result.records).toHaveLength(0);
    expect('message' in result && result.message).toMatch(/The copy of 64 words did not match the CPU reference .* so it was not timed/);
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

  it('refuses a buffer beyond the device limits as too large, naming the limit', async () => {
    const limits = { ...gpu!.limits, maxStorageBufferBindingSize: 2048, maxBufferSize: 2048 };
    const { run: result, made, freed } = await run({ words: '64, 1000' }, context({ gpu: { ...gpu!, limits } }));
    expect(result.kind).toBe('too-large');
    expect('message' in result && result.message).toMatch(/copy source|source needs .*maxBufferSize/);
    expect(result.records).toHaveLength(1);
    expect(freed).toBe(made);
  });
});
