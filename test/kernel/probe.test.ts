import { describe, expect, it, vi } from 'vitest';
import { probe } from '../../src/labs/probe';
import { runLab, resolveParams } from '../../src/labs/harness';
import { requestNodeGpu } from '../../src/kernels/gpu/node';
import { measure } from '../../src/kernels/gpu/timing';
import { prepareFma, fmaInputs } from '../../src/kernels/fma/fma';
import { Random } from '../../src/kernels/gpu/random';
import { problemOf } from '../../src/kernels/gpu/outcome';
import { runRecordSchema } from '../../src/schemas/results';
import type { LabContext } from '../../src/labs/types';
import { createCopyBuffers, measureCopy, measureRead } from '../../src/labs/probe/measure';
import { testGpu, withScopes } from './device';

const gpu = await testGpu();
const ceilings = { copyGBps: 10, fp32Gflops: 10 };

function context(overrides: Partial<LabContext> = {}): LabContext {
  return { gpu: gpu!, ceilings, timing: { warmup: 1, reps: 3 }, signal: new AbortController().signal, progress: () => {}, ...overrides };
}

describe.skipIf(!gpu)('probe lab', () => {
  it('measures copy, read, FMA and the sweep at quick sizes, every check passing', async () => {
    const progress: string[] = [];
    const run = await runLab(probe, context({ progress: (_done, _total, what) => progress.push(what) }), resolveParams(probe, {}, true));
    expect(run.kind).toBe('done');
    const variants = run.records.map((record) => record.variant);
    expect(variants.slice(0, 3)).toEqual(['copy', 'read', 'fma fp32']);
    expect(variants.filter((variant) => variant === 'sweep')).toHaveLength(2);
    for (const record of run.records) {
      expect(runRecordSchema.parse(record)).toEqual(record);
      expect(record.check.ok).toBe(true);
      expect(record.seconds.median).toBeGreaterThan(0);
    }
    // The faster of copy and read sets the memory bound: it runs at 1 of it, the other at most that.
    const [copy, read] = run.records;
    expect(Math.max(copy!.fractionOfBound, read!.fractionOfBound)).toBeCloseTo(1, 6);
    expect(Math.min(copy!.fractionOfBound, read!.fractionOfBound)).toBeLessThanOrEqual(1 + 1e-9);
    // The launch floor is measured (a number, never negative; on a busy software adapter the difference of two
    // medians can round to nothing, so its size is a benchmark, not a test), and the probe's ceilings carry it.
    const launch = run.records.find((record) => record.variant === 'launch');
    expect(launch?.extra?.['launchSeconds']).toBeGreaterThanOrEqual(0);
    expect(probe.ceilingsFrom!(run.records, { copyMiB: 1024, fmaThreads: 2 ** 30 }, gpu!)).toMatchObject({
      copyGBps: copy!.achieved.gbps,
      launchSeconds: launch!.extra!['launchSeconds'],
    });
    // A run too small to stand for the device gives no ceilings.
    expect(probe.ceilingsFrom!(run.records, resolveParams(probe, {}, true), gpu!)).toBeNull();
    expect(progress.at(-1)).toBe('done');
  });

  it('refuses a size beyond the device limit with its message, before allocating anything', async () => {
    const createBuffer = vi.spyOn(gpu!.device, 'createBuffer');
    const limit = gpu!.limits['maxStorageBufferBindingSize']!;
    const copyMiB = Math.ceil(limit / 2 ** 20) + 1;
    const run = await runLab(probe, context(), resolveParams(probe, { copyMiB }, true));
    expect(run.kind).toBe('too-large');
    expect(run.kind !== 'done' && run.kind !== 'cancelled' && run.message).toMatch(/the copy source needs .* beyond this device's (maxBufferSize|maxStorageBufferBindingSize) of/);
    expect(createBuffer).not.toHaveBeenCalled();
    createBuffer.mockRestore();
  });

  it('refuses parameters outside their bounds', async () => {
    const run = await runLab(probe, context(), resolveParams(probe, { fmaIterations: 96 }, true));
    expect(run).toMatchObject({ kind: 'too-large', message: 'FMA steps (fmaIterations) must be a multiple of 64; received 96' });
    const unknown = await runLab(probe, context(), { ...resolveParams(probe, {}, true), size: 3 });
    expect(unknown).toMatchObject({ message: expect.stringMatching(/^probe has no parameter size/) });
  });

  it('stops when cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    const run = await runLab(probe, context({ signal: controller.signal }), resolveParams(probe, {}, true));
    expect(run.kind).toBe('cancelled');
  });
});

describe.skipIf(!gpu)('the probe checks copy and read against their CPU references', () => {
  // 2^20 + 3 words is 16 MiB and 48 bytes: the checks fill, read back and regenerate in 16 MiB pieces, so this takes two.
  const words = 2 ** 20 + 3;

  it(`copy of ${words} words out of ${words + 5}: every word and the one after, across pieces`, async () => {
    const buffers = createCopyBuffers(gpu!.device, words + 5);
    try {
      const copied = await withScopes(gpu!.device, () => measureCopy(gpu!, buffers, words, { warmup: 0, reps: 1 }));
      expect(copied.check).toEqual({ maxRelError: 0, ok: true, mismatches: [] });
    } finally {
      buffers.destroy();
    }
  });

  it(`read of ${words} words: every block sum and the slot after, across pieces`, async () => {
    const read = await withScopes(gpu!.device, () => measureRead(gpu!, words, { warmup: 0, reps: 1 }));
    expect(read.check).toEqual({ maxRelError: 0, ok: true, mismatches: [] });
  });
});


// Kept last: on SwiftShader, Dawn crashed (SIGSEGV) when the shared device ran work after this test.
describe.skipIf(!gpu)('a device destroyed mid-run', () => {
  it('ends the timing loop with the lost outcome, not a hang', async () => {
    const own = await requestNodeGpu({ label: 'destroyed mid-run' });
    const kernel = prepareFma(own.device, { threads: 4096, iterations: 256 }, fmaInputs(new Random(5), 'f32', 64), 'f32');
    let passes = 0;
    const timing = measure(own, (pass) => {
      kernel.encode(pass);
      if (++passes === 4) setTimeout(() => own.device.destroy(), 0);
    }, { warmup: 2, reps: 1000, method: 'submit', timeoutMs: 10_000 });
    const failure = await timing.then(() => null, (error: unknown) => problemOf(error));
    expect(failure).toMatchObject({ kind: 'lost', retry: true });
    expect(failure!.message).toMatch(/lost \(destroyed/);
  });
});
