import { describe, expect, it } from 'vitest';
import { compare } from '../../src/kernels/gpu/check';
import { fromHalfBits, toHalfBits } from '../../src/kernels/gpu/f16';
import { checkBuffer, checkWorkgroups, checkWorkgroupSize, firstRefusal, formatBytes } from '../../src/kernels/gpu/limits';
import { Random } from '../../src/kernels/gpu/random';
import { boundOf } from '../../src/models/bound';
import { makeRecord } from '../../src/labs/record';
import { passesPerSubmit, summarize } from '../../src/kernels/gpu/timing';
import { GpuLostError, GpuScopeError, GpuTimeoutError, waitFor } from '../../src/kernels/gpu/errors';
import { isSoftware, problemOf } from '../../src/kernels/gpu/outcome';
import { paramProblem, parseList, parseParam, resolveParams } from '../../src/labs/harness';
import type { Lab } from '../../src/labs/types';

describe('compare', () => {
  it('passes close values and reports the largest relative error', () => {
    const result = compare([1, 2.0001, -3], [1, 2, -3], { tolerance: 1e-3 });
    expect(result.ok).toBe(true);
    expect(result.maxRelError).toBeCloseTo(5e-5, 6);
    expect(result.mismatches).toEqual([]);
  });

  it('lists the first mismatches as `i: gpu vs cpu` and a hint', () => {
    const expected = Array.from({ length: 20 }, (_, i) => i + 1);
    const actual = expected.map((v, i) => (i >= 10 ? 0 : v));
    const result = compare(actual, expected, { tolerance: 1e-4 });
    expect(result.ok).toBe(false);
    expect(result.mismatches.slice(0, 5)).toEqual(['10: 0 vs 11', '11: 0 vs 12', '12: 0 vs 13', '13: 0 vs 14', '14: 0 vs 15']);
    expect(result.mismatches).toContain('10 of 20 outside tolerance 0.0001 (max rel error 1.00e+0)');
    expect(result.mismatches.at(-1)).toMatch(/^hint: the GPU left these at zero/);
  });

  it('judges values near zero against the floor', () => {
    expect(compare([1e-7], [0], { tolerance: 1e-3, floor: 1e-3 }).ok).toBe(true);
    expect(compare([1e-2, 100], [0, 100], { tolerance: 1e-3 }).ok).toBe(false);
    expect(compare([1e-5, 100], [0, 100], { tolerance: 1e-3 }).ok).toBe(true);
  });

  it('fails NaN and a length mismatch', () => {
    const nan = compare([NaN], [1], { tolerance: 1 });
    expect(nan.ok).toBe(false);
    expect(nan.mismatches.at(-1)).toMatch(/NaN or Inf/);
    expect(compare([1, 2], [1], { tolerance: 1 }).mismatches[0]).toBe('length: gpu 2 vs cpu 1');
  });
});

describe('Random', () => {
  it('repeats a sequence for a seed and differs across seeds', () => {
    const a = new Random(42).fill(new Float32Array(8), { kind: 'uniform', low: -1, high: 1 });
    const b = new Random(42).fill(new Float32Array(8), { kind: 'uniform', low: -1, high: 1 });
    const c = new Random(43).fill(new Float32Array(8), { kind: 'uniform', low: -1, high: 1 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('draws with the right moments', () => {
    const random = new Random(7);
    const n = 40_000;
    const moments = (draw: () => number) => {
      let sum = 0;
      let squares = 0;
      let absolute = 0;
      for (let i = 0; i < n; i++) {
        const x = draw();
        sum += x;
        squares += x * x;
        absolute += Math.abs(x);
      }
      return { mean: sum / n, variance: squares / n - (sum / n) ** 2, meanAbs: absolute / n };
    };
    const uniform = moments(() => random.uniform(0, 1));
    expect(uniform.mean).toBeCloseTo(0.5, 1);
    expect(uniform.variance).toBeCloseTo(1 / 12, 2);
    const gaussian = moments(() => random.gaussian(1, 2));
    expect(gaussian.mean).toBeCloseTo(1, 1);
    expect(Math.sqrt(gaussian.variance)).toBeCloseTo(2, 1);
    const laplace = moments(() => random.laplace(0, 0.5));
    expect(laplace.meanAbs).toBeCloseTo(0.5, 1);
    expect(laplace.variance).toBeCloseTo(2 * 0.25, 1);
  });

  it('never yields a value outside [0, 1)', () => {
    const random = new Random(0);
    for (let i = 0; i < 10_000; i++) {
      const x = random.next();
      expect(x >= 0 && x < 1).toBe(true);
    }
  });
});

describe('f16', () => {
  it('round-trips exactly representable values and rounds to nearest even', () => {
    const exact = [0, 1, -2, 0.5, 65504, 2 ** -24, -(2 ** -14)];
    expect(exact.map((value) => fromHalfBits(toHalfBits(value)))).toEqual(exact);
    expect(toHalfBits(1)).toBe(0x3c00);
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00);
    expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(toHalfBits(1e6)).toBe(0x7c00);
    expect(toHalfBits(2 ** -26)).toBe(0);
    expect(fromHalfBits(0x7e00)).toBeNaN();
    expect(fromHalfBits(0xfc00)).toBe(-Infinity);
  });

  it('stays within half an ulp on random values', () => {
    const values = new Random(3).fill(new Float64Array(1000), { kind: 'gaussian', mean: 0, std: 10 });
    const back = Array.from(values, (value) => fromHalfBits(toHalfBits(value)));
    for (let i = 0; i < values.length; i++) {
      const ulp = 2 ** (Math.floor(Math.log2(Math.abs(values[i]!))) - 10);
      expect(Math.abs(back[i]! - values[i]!)).toBeLessThanOrEqual(ulp / 2 + 1e-12);
    }
  });
});

describe('limits', () => {
  const limits = { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 27, maxComputeWorkgroupsPerDimension: 65535, maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupStorageSize: 16384 };

  it('refuses a buffer beyond a limit, naming it, its value and the request', () => {
    expect(checkBuffer(limits, 2 ** 27, 'the weights')).toBeNull();
    expect(checkBuffer(limits, 2 ** 28, 'the weights')).toBe(
      "the weights needs 256 MiB (268435456 bytes), beyond this device's maxStorageBufferBindingSize of 128 MiB (134217728 bytes): choose a smaller size.",
    );
    expect(checkBuffer(limits, 2 ** 31, 'the KV cache')).toMatch(/maxBufferSize of 1 GiB \(1073741824 bytes\)/);
  });

  it('refuses too many workgroups or too large a workgroup', () => {
    expect(checkWorkgroups(limits, 65535, 'rows')).toBeNull();
    expect(checkWorkgroups(limits, 65536, 'rows')).toMatch(/rows needs 65536 workgroups in one dimension, beyond this device's maxComputeWorkgroupsPerDimension of 65535/);
    expect(checkWorkgroupSize(limits, 512, 0, 'tile')).toMatch(/maxComputeInvocationsPerWorkgroup of 256/);
    expect(checkWorkgroupSize(limits, 256, 32768, 'tile')).toMatch(/maxComputeWorkgroupStorageSize of 16384 bytes/);
    expect(firstRefusal(null, 'a', 'b')).toBe('a');
    expect(firstRefusal(null)).toBeNull();
    expect(formatBytes(12)).toBe('12 B');
    expect(formatBytes(1.5 * 2 ** 30)).toBe('1.5 GiB');
  });
});

describe('timing statistics', () => {
  it('gives median and interpolated percentiles', () => {
    expect(summarize([5, 1, 3, 2, 4])).toEqual({ median: 3, p10: 1.4, p90: 4.6, n: 5 });
    expect(summarize([2])).toEqual({ median: 2, p10: 2, p90: 2, n: 1 });
  });

  it('batches passes to fill a submit, within bounds', () => {
    expect(passesPerSubmit(0.001, 0.02)).toBe(20);
    expect(passesPerSubmit(1, 0.02)).toBe(1);
    expect(passesPerSubmit(1e-9, 0.25)).toBe(4096);
  });
});

describe('waitFor', () => {
  it('turns a wait that never returns into a timeout error', async () => {
    await expect(waitFor(new Promise(() => {}), { what: 'a hung submit', timeoutMs: 20 })).rejects.toBeInstanceOf(GpuTimeoutError);
  });

  it('ends on a lost device and on abort', async () => {
    const lost = Promise.resolve({ reason: 'unknown', message: 'driver reset' } as GPUDeviceLostInfo);
    await expect(waitFor(new Promise(() => {}), { what: 'reading', lost })).rejects.toThrow(GpuLostError);
    const controller = new AbortController();
    const waiting = waitFor(new Promise(() => {}), { what: 'reading', signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('makeRecord', () => {
  const ceilings = { copyGBps: 1000, fp32Gflops: 10_000, f16Gflops: 40_000 };
  const timing = { seconds: { median: 0.002, p10: 0.0019, p90: 0.0021, n: 10 }, method: 'timestamp' as const };

  it('computes achieved rates, the bound and the fraction of it', () => {
    const record = makeRecord({ lab: 'x', variant: 'dense', params: { n: 4 }, timing, flops: 2e9, bytes: 1e9, ceilings, check: { maxRelError: 1e-6, ok: true }, unit: 'fp32', extraDispatches: 1 });
    expect(record.achieved).toEqual({ gbps: 500, gflops: 1000 });
    expect(record.bound).toEqual({ seconds: 0.001, limitedBy: 'bandwidth' });
    expect(record.fractionOfBound).toBeCloseTo(0.5);
    expect(record.timing).toBe('timestamp');
  });

  it('bounds compute with the ceiling of the unit the variant declares, whatever its name', () => {
    expect(boundOf(4e10, 1, ceilings, 'fp32', 0)).toEqual({ seconds: 0.004, limitedBy: 'compute' });
    const record = makeRecord({ lab: 'x', variant: 'plain', params: {}, timing, flops: 4e10, bytes: 0, ceilings, check: { maxRelError: 0, ok: true }, unit: 'f16', extraDispatches: 0 });
    expect(record.bound).toEqual({ seconds: 0.001, limitedBy: 'compute' });
    // The matrix unit's own ceiling where measured; the f16 FMA's where not.
    expect(boundOf(4e10, 1, { ...ceilings, f16MatrixGflops: 400_000 }, 'f16-matrix', 0).seconds).toBeCloseTo(1e-4, 12);
    expect(boundOf(4e10, 1, ceilings, 'f16-matrix', 0).seconds).toBeCloseTo(1e-3, 12);
  });

  it('adds the launch floor once per dispatch', () => {
    // 1 ms of memory time and 3 dispatches of 4 µs each.
    expect(boundOf(0, 1e9, { ...ceilings, launchSeconds: 4e-6 }, 'fp32', 3).seconds).toBeCloseTo(0.001012, 12);
    expect(boundOf(0, 1e9, ceilings, 'fp32', 3).seconds).toBeCloseTo(0.001, 12);
  });

  it('bounds memory time by the faster of the copy and read bandwidths', () => {
    // 1e9 bytes: 1 ms at the copy's 1000 GB/s, 0.8 ms at a read of 1250 GB/s.
    expect(boundOf(0, 1e9, { ...ceilings, readGBps: 1250 }, 'fp32', 0)).toEqual({ seconds: 0.0008, limitedBy: 'bandwidth' });
    expect(boundOf(0, 1e9, { ...ceilings, readGBps: 800 }, 'fp32', 0)).toEqual({ seconds: 0.001, limitedBy: 'bandwidth' });
    // A read-only kernel at 1050 GB/s, above the copy but under the read: within its bound.
    const readTiming = { ...timing, seconds: { ...timing.seconds, median: 1e9 / 1050e9 } };
    const record = makeRecord({ lab: 'x', variant: 'gqa', params: {}, timing: readTiming, flops: 0, bytes: 1e9, ceilings: { ...ceilings, readGBps: 1250 }, check: { maxRelError: 0, ok: true }, unit: 'fp32', extraDispatches: 0 });
    expect(record.fractionOfBound).toBeCloseTo(1050 / 1250, 9);
  });

  it('stores a non-finite error as a failed finite one', () => {
    const record = makeRecord({ lab: 'x', variant: 'v', params: {}, timing, flops: 1, bytes: 1, ceilings, check: { maxRelError: Infinity, ok: false }, unit: 'fp32', extraDispatches: 1 });
    expect(record.check).toEqual({ maxRelError: Number.MAX_VALUE, ok: false });
  });
});

describe('outcomes', () => {
  it('names each failure for the reader, with whether to retry', () => {
    expect(problemOf(new GpuTimeoutError('timed batch', 20_000))).toMatchObject({ kind: 'timeout', retry: true, message: expect.stringMatching(/^timed batch: the GPU did not finish within 20.0 s/) });
    expect(problemOf(new GpuLostError('warm-up', 'unknown', 'driver reset'))).toMatchObject({ kind: 'lost', retry: true, message: expect.stringMatching(/Running again asks for a new device/) });
    expect(problemOf(new GpuScopeError('out-of-memory', 'allocation failed'))).toMatchObject({
      kind: 'gpu-error',
      retry: true,
      message: 'The GPU could not find memory for this size: try a smaller one. (WebGPU said: out of memory: allocation failed.)',
    });
    expect(problemOf(new GpuScopeError('validation', 'Invalid BindGroup'))?.message).toMatch(/^The GPU refused a command, which is a bug in the lab/);
    expect(problemOf(new GpuScopeError('validation', 'bad binding'))).toMatchObject({ kind: 'gpu-error', retry: false });
    expect(problemOf(new Error('plain'))).toEqual({ kind: 'gpu-error', message: 'plain', retry: false });
    expect(problemOf(new DOMException('stop', 'AbortError'))).toBeNull();
  });

  it('flags software adapters', () => {
    const info = { vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader driver 5.0.0', isFallbackAdapter: false };
    expect(isSoftware({ info })).toBe(true);
    expect(isSoftware({ info: { ...info, architecture: 'hopper', description: 'NVIDIA H100' } })).toBe(false);
  });
});

describe('lab parameters', () => {
  const lab = {
    id: 'demo',
    params: [
      { name: 'rows', label: 'Rows', kind: 'int', default: 8, min: 1, max: 64 },
      { name: 'mode', label: 'Mode', kind: 'choice', default: 'a', choices: [{ value: 'a', label: 'A' }, { value: 'b', label: 'B' }] },
      { name: 'sizes', label: 'Sizes', kind: 'list', default: '1,2', min: 1, unit: 'KiB' },
    ],
    quick: { rows: 2 },
  } as unknown as Lab;

  it('resolves defaults, quick sizes and overrides in that order', () => {
    expect(resolveParams(lab)).toEqual({ rows: 8, mode: 'a', sizes: '1,2' });
    expect(resolveParams(lab, { mode: 'b' }, true)).toEqual({ rows: 2, mode: 'b', sizes: '1,2' });
  });

  it('refuses values outside their spec, naming the control', () => {
    expect(paramProblem(lab, { rows: 65 })).toEqual({ name: 'rows', message: 'Rows must be at most 64; received 65' });
    expect(paramProblem(lab, { rows: 2.5 })?.message).toBe('Rows must be a whole number; received 2.5');
    expect(paramProblem(lab, { mode: 'c' })?.message).toBe('Mode must be one of A; B; received c');
    expect(paramProblem(lab, { sizes: '4, 0' })?.message).toBe('Sizes must be at least 1 KiB; received 0');
    expect(paramProblem(lab, { cols: 1 })?.message).toBe('demo has no parameter cols: expected one of rows, mode, sizes');
    expect(paramProblem(lab, { rows: 3, mode: 'b', sizes: '8,16' })).toBeNull();
    expect(parseList(' 1, 2 ,4 ')).toEqual([1, 2, 4]);
    expect(() => parseParam(lab.params[0]!, '3.5')).toThrow('Rows takes a whole number; received "3.5"');
  });

  it('reads numbers written in decimal only: Number() would take 0x10 as 16', () => {
    expect(parseParam(lab.params[0]!, '16')).toBe(16);
    expect(parseParam(lab.params[0]!, ' 1e1 ')).toBe(10);
    for (const text of ['0x10', '0b11', '0o7', 'Infinity', '1_000', '']) {
      expect(() => parseParam(lab.params[0]!, text), text).toThrow(`Rows takes a whole number; received "${text}"`);
    }
    expect(parseParam(lab.params[2]!, '1, 2.5,, 4')).toBe('1, 2.5,, 4');
    expect(() => parseParam(lab.params[2]!, '8, 0x10')).toThrow('Sizes takes numbers separated by commas; received "0x10"');
    expect(parseParam(lab.params[1]!, 'b')).toBe('b');
  });
});
