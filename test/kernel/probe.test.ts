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
import { copy } from '../../src/kernels/copy/index';
import { read } from '../../src/kernels/read/index';
import { knobsOf } from '../../src/kernels/family';
import { prepareChecked } from '../../src/labs/harness';
import { labContext, testGpu, withScopes } from './device';

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
    // Bounds are the run's ceilings (10 GB/s here): the copy of 1 MiB moves 2 MiB, read and written.
    const [copied] = run.records;
    expect(copied!.bytes).toBe(2 * 2 ** 20);
    expect(copied!.bound.seconds).toBeCloseTo((2 * 2 ** 20) / 10e9, 15);
    // A sweep record is a whole pass: its copies' bytes, each copy the working set.
    for (const record of run.records.filter((record) => record.variant === 'sweep')) {
      expect(record.extra!['workingSetBytes']).toBe(Number(record.params['workingSetKiB']) * 1024);
      expect(record.bytes).toBe(record.extra!['dispatchesPerPass']! * record.extra!['workingSetBytes']!);
    }
    // The launch floor is measured (a number, never negative; on a busy software adapter the difference of two
    // medians can round to nothing, so its size is a benchmark, not a test), and the probe's ceilings carry it.
    const launch = run.records.find((record) => record.variant === 'launch');
    expect(launch?.extra?.['launchSeconds']).toBeGreaterThanOrEqual(0);
    expect(launch).toMatchObject({ params: { dispatchesPerPass: 65 }, bytes: 65 * 2 * 1024 });
    expect(probe.ceilingsFrom!(run.records, { copyMiB: 1024, fmaThreads: 2 ** 30 }, gpu!)).toMatchObject({
      copyGBps: copied!.achieved.gbps,
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
    expect(run).toMatchObject({ kind: 'too-large', message: 'FMA steps must be a multiple of 64; received 96' });
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
  // 2^20 + 3 words is 16 MiB and 48 bytes: the sources are filled and regenerated in 16 MiB pieces, so this takes two.
  const words = 2 ** 20 + 3;
  for (const family of [copy, read]) {
    it(`${family.id} of ${words} words, across pieces`, async () => {
      const version = family.versions[0]!;
      const checked = await withScopes(gpu!.device, () => prepareChecked(labContext(gpu!), 'probe test', family, { words }, version, knobsOf(version), { seed: 3, what: family.id }));
      try {
        expect(checked.check).toEqual({ maxRelError: 0, ok: true });
      } finally {
        checked.destroy();
      }
    });
  }

  it('stops at a kernel that fails its check before timing it', async () => {
    const prepare = copy.prepare;
    let encoded = 0;
    // A copy that copies nothing: its destination stays zero.
    const broken = vi.spyOn(copy, 'prepare').mockImplementation((...args) => ({ ...prepare(...args), encode: () => void encoded++ }));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const run = await runLab(probe, context(), resolveParams(probe, {}, true));
      expect(run).toMatchObject({ kind: 'check-failed', message: expect.stringMatching(/^The copy kernel of 1 MiB did not match the CPU reference/), records: [] });
      // Once, for the check: never warmed up or timed.
      expect(encoded).toBe(1);
    } finally {
      broken.mockRestore();
      warn.mockRestore();
    }
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
