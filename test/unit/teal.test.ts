// The TEAL lab's CPU side and the GEMV family's: the cost model, the magnitude threshold, the references, the plan
// and its knobs, the family's refusals and counts, and the lab's points, variants and refusals.
import { describe, expect, it } from 'vitest';
import { bytes, flops, type GemvShape } from '../../src/kernels/gemv/cost';
import { gemvRefusal, packWeights, planGemv, planProblem, rowStride } from '../../src/kernels/gemv/gemv';
import { gemvReference, hashedGemvReference, relativeError, sparseGemvReference } from '../../src/kernels/gemv/gemv.reference';
import { gemv, gemvShapeOf, type SparseGemvShape } from '../../src/kernels/gemv/index';
import { expectedRelativeError, keptRows, thresholdFor } from '../../src/kernels/gemv/sparsity';
import { knobsOf, versionOf } from '../../src/kernels/family';
import { hashValue } from '../../src/kernels/gpu/hashed';
import { Random } from '../../src/kernels/gpu/random';
import { boundOf } from '../../src/models/bound';
import { shapeOf, teal, weightCopies } from '../../src/labs/teal';
import { refusalOf, resolveParams, settingsOf } from '../../src/labs/harness';

const llama: GemvShape = { dIn: 4096, dOut: 11008, batch: 1, weights: 'f32' };
const params = { dIn: 4096, dOut: 11008, sparsity: '0,50,90', dtype: 'f32', batch: 1, distribution: 'laplace', perPass: 32 };
/** WebGPU's default limits, as a browser without raised limits has them. */
const defaults = {
  maxBufferSize: 268435456,
  maxStorageBufferBindingSize: 134217728,
  maxComputeWorkgroupsPerDimension: 65535,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupStorageSize: 16384,
};
const large = { ...defaults, maxBufferSize: 4294967296, maxStorageBufferBindingSize: 4294967292 };

describe('cost model', () => {
  it('counts Wᵀ once, x and y once: 11008×4096 f32 is 180.4 MB (180,355,072 of weights and 60,416 of x and y)', () => {
    expect(bytes(llama)).toBe(180_415_488);
    expect(bytes({ ...llama, weights: 'f16' })).toBe(90_237_952);
    expect(flops({ ...llama, batch: 3 })).toBe(270_532_608);
  });

  it('reads (1 − s) of the rows at sparsity s, so the bound falls as 1/(1 − s) up to x and y', () => {
    const half = bytes(llama, 2048);
    expect(half).toBe(90_237_952);
    expect(bytes(llama) / half).toBeCloseTo(2, 2);
    // Memory-bound at the faster of copy (2000 GB/s) and read (1800 GB/s).
    const ceilings = { copyGBps: 2000, readGBps: 1800, fp32Gflops: 50_000 };
    expect(boundOf(flops(llama), bytes(llama), ceilings, 'fp32', 0)).toEqual({ seconds: bytes(llama) / 2e12, limitedBy: 'bandwidth' });
  });
});

describe('the error theory', () => {
  it('gives the note\'s numbers: 0.27 and 0.18 at 50%, 0.75 and 0.64 at 90% (Gaussian, Laplacian)', () => {
    expect(expectedRelativeError(0.5, 'gaussian')).toBeCloseTo(0.27, 2);
    expect(expectedRelativeError(0.5, 'laplace')).toBeCloseTo(0.18, 2);
    expect(expectedRelativeError(0.9, 'gaussian')).toBeCloseTo(0.75, 2);
    expect(expectedRelativeError(0.9, 'laplace')).toBeCloseTo(0.64, 2);
    expect(expectedRelativeError(0, 'laplace')).toBe(0);
  });
});

describe('threshold', () => {
  const x = new Random(1).fill(new Float32Array(1000), { kind: 'laplace', location: 0, scale: 1 });

  it.each([0, 0.1, 0.5, 0.9, 0.95, 1])('zeroes round(s·n) entries at sparsity %s', (sparsity) => {
    const t = thresholdFor(x, sparsity);
    expect(Array.from(x).filter((value) => Math.abs(value) <= t).length).toBe(Math.round(sparsity * 1000));
    expect(keptRows(x, 1, 1000, t)).toBe(1000 - Math.round(sparsity * 1000));
  });

  it('keeps everything at 0 and nothing at 1, and is one of x’s magnitudes in between', () => {
    expect(thresholdFor(x, 0)).toBe(-1);
    expect(thresholdFor(x, 1)).toBe(Math.max(...Array.from(x, Math.abs)));
    expect(Array.from(x, Math.abs)).toContain(thresholdFor(x, 0.5));
  });

  it('a batch reads the union of its tokens’ rows', () => {
    // x: (2, 4) f32; token 0 keeps channel 0, token 1 keeps channel 2
    const batch = new Float32Array([5, 0.1, 0.1, 0.1, 0.1, 0.1, 6, 0.1]);
    expect(keptRows(batch, 2, 4, 0.5)).toBe(2);
  });

  it('refuses a sparsity outside [0, 1]', () => {
    expect(() => thresholdFor(x, 1.5)).toThrow(/sparsity must be in \[0, 1\], got 1.5/);
  });
});

describe('reference', () => {
  it('skips the entries at or below the threshold and nothing else; the error is the dropped share', () => {
    const shape: GemvShape = { dIn: 3, dOut: 2, batch: 1, weights: 'f32' };
    // Wᵀ: (3, 2): rows [1 2], [3 4], [5 6]; x = [1, −0.5, 2]
    const weights = packWeights(shape, (i, c) => [[1, 2], [3, 4], [5, 6]][i]![c]!);
    expect(weights.rowStride).toBe(4);
    const x = [1, -0.5, 2];
    expect(Array.from(gemvReference(weights, x, shape))).toEqual([1 - 1.5 + 10, 2 - 2 + 12]);
    expect(Array.from(sparseGemvReference(weights, x, shape, 0.5))).toEqual([11, 14]);
    expect(relativeError([11, 14], [9.5, 12])).toBeCloseTo(Math.hypot(1.5, 2) / Math.hypot(9.5, 12), 12);
  });

  it('rounds f16 weights to the nearest half and reads them back through the same table', () => {
    const shape: GemvShape = { dIn: 1, dOut: 3, batch: 1, weights: 'f16' };
    const weights = packWeights(shape, (_, c) => [1 / 3, 65504, -2.5][c]!);
    expect(rowStride(shape)).toBe(8);
    expect(Array.from(gemvReference(weights, [2], shape))).toEqual([2 * 0.333251953125, 2 * 65504, -5]);
  });
});

describe('hashed weights', () => {
  it('give the reference of the same Wᵀ packed on the CPU, for the tokens asked, f32 and f16 alike', () => {
    const x = new Random(2).fill(new Float32Array(3 * 50), { kind: 'laplace', location: 0, scale: 1 });
    for (const type of ['f32', 'f16'] as const) {
      const shape: GemvShape = { dIn: 50, dOut: 13, batch: 3, weights: type };
      const stride = rowStride(shape);
      const packed = packWeights(shape, (i, c) => hashValue(i * stride + c, 77));
      const threshold = thresholdFor(x, 0.6);
      const full = sparseGemvReference(packed, x, shape, threshold);
      const hashed = hashedGemvReference({ seed: 77, rowStride: stride }, x, shape, threshold, [0, 2]);
      expect(Array.from(hashed)).toEqual([...full.subarray(0, 13), ...full.subarray(26, 39)].map((value) => expect.closeTo(value, 12)));
    }
  });
});

describe('plan and limits', () => {
  it('gives one split where d_out has workgroups enough, and splits d_in where it has not', () => {
    const dense = planGemv(llama, 'dense');
    expect(dense).toMatchObject({ words: 8, lanes: 32, rowWords: 2752, splits: 1, rowsPerSplit: 4096, unroll: 4 });
    expect(planGemv(llama, 'sparse')).toMatchObject({ words: 16, lanes: 16, splits: 1, unroll: 8 });
    expect(planGemv({ ...llama, weights: 'f16' }, 'sparse')).toMatchObject({ words: 8, lanes: 32, rowWords: 1376, splits: 1 });
    // The down projection has 1024 words along d_out: 64 workgroups of 16 words, so 3 splits of 11008 rows.
    const down = planGemv({ ...llama, dIn: 11008, dOut: 4096 }, 'sparse');
    expect(down).toMatchObject({ splits: 3, rowsPerSplit: 3670 });
    // Splits keep 8 rows per lane: a small d_in stays whole.
    expect(planGemv({ dIn: 2, dOut: 4, batch: 1, weights: 'f32' }, 'dense')).toMatchObject({ splits: 1, rowsPerSplit: 2 });
    expect(planGemv({ dIn: 1024, dOut: 4, batch: 1, weights: 'f32' }, 'dense')).toMatchObject({ splits: 4, rowsPerSplit: 256 });
  });

  it('takes each knob over its default, and the knobs\' defaults are the measured plan', () => {
    for (const version of gemv.versions) {
      for (const shape of [llama, { ...llama, dIn: 11008, dOut: 4096 }]) {
        const at = { ...gemvShapeOf({ ...shape, sparsity: 0 }, version) };
        const variant = version.name.startsWith('sparse') ? 'sparse' : 'dense';
        expect(planGemv(at, variant, knobsOf(version)), version.name).toEqual(planGemv(at, variant));
      }
    }
    const down = { ...llama, dIn: 11008, dOut: 4096 };
    expect(planGemv(down, 'sparse', { workgroups: 1 })).toMatchObject({ splits: 1, rowsPerSplit: 11008 });
    // 64 workgroups along d_out; 640 wanted: 10 splits of 1101 rows.
    expect(planGemv(down, 'sparse', { workgroups: 640 })).toMatchObject({ splits: 10, rowsPerSplit: 1101 });
    expect(planGemv(llama, 'dense', { words: 4, lanes: 16, unroll: 8 })).toMatchObject({ words: 4, lanes: 16, unroll: 8, rowWords: 2752 });
  });

  it('refuses a workgroup gemv.wgsl cannot take, in the reader\'s words', () => {
    expect(planProblem({ words: 16, lanes: 32, unroll: 4 })).toBe('a workgroup of 16 words × 32 lanes: the GEMV takes a power of two from 64 to 256 threads');
    expect(planProblem({ words: 8, lanes: 32, unroll: 17 })).toBe('17 rows in flight a thread: the GEMV takes a whole number from 1 to 16');
    expect(planProblem({ words: 8, lanes: 8, unroll: 1 })).toBeNull();
  });

  it('names the limit and the size it refuses', () => {
    expect(gemvRefusal(large, llama, planGemv(llama, 'dense'))).toBeNull();
    expect(gemvRefusal(defaults, llama, planGemv(llama, 'sparse'))).toMatch(/^Wᵀ \(4096×11008 f32\) needs .*\(180355072 bytes\), beyond this device's maxStorageBufferBindingSize of .*\(134217728 bytes\)/);
  });
});

describe('the family', () => {
  const device = { features: new Set<string>(), limits: large };
  const at = (sparsity: number, batch = 1): SparseGemvShape => ({ dIn: 4096, dOut: 11008, batch, sparsity });

  it('expects sparse to read (1 − s^batch) of the rows, and dense all of them', () => {
    const sparse = versionOf(gemv, 'sparse');
    expect(gemv.cost(at(0.5), sparse)).toEqual({ flops: 45_088_768, bytes: 90_237_952, dispatches: 1 });
    // Two tokens at 50%: a row is left only where both drop it, a quarter of them, so 3072 rows are read.
    expect(gemv.cost(at(0.5, 2), sparse).bytes).toBe(3072 * 11008 * 4 + 4 * 2 * (4096 + 11008));
    expect(gemv.cost(at(0.9), versionOf(gemv, 'dense')).bytes).toBe(180_415_488);
    expect(gemv.cost(at(0.9), versionOf(gemv, 'dense-f16')).bytes).toBe(90_237_952);
  });

  it('draws a threshold for each copy of x, and counts the rows each keeps', () => {
    const shape = { ...at(0.7), xCopies: 3, weightCopies: 2 };
    const inputs = gemv.inputs(shape, new Random(5), versionOf(gemv, 'sparse-f16'));
    expect(inputs.weightSeeds).toHaveLength(2);
    expect(inputs.xs).toHaveLength(3);
    expect(inputs.rowStride).toBe(11008);
    inputs.xs.forEach((x, k) => expect(inputs.thresholds[k]).toBe(thresholdFor(x, 0.7)));
    // One token: round(0.7 · 4096) = 2867 entries dropped in every copy.
    expect(inputs.keptRows).toBe(1229);
  });

  it('refuses a sparsity outside [0, 1] and a workgroup the kernel cannot take, in the reader\'s words', () => {
    expect(gemv.refusal(device, at(1.5), versionOf(gemv, 'sparse'), knobsOf(versionOf(gemv, 'sparse')))).toBe('a sparsity of 1.5: it takes a fraction from 0 to 1');
    const dense = versionOf(gemv, 'dense');
    expect(gemv.refusal(device, at(0), dense, knobsOf(dense, { words: 16, lanes: 32 }))).toMatch(/^a workgroup of 16 words × 32 lanes/);
    expect(gemv.refusal(device, at(0), dense, knobsOf(dense))).toBeNull();
  });
});

describe('the lab', () => {
  const gpu = { limits: large, features: new Set<string>() };

  it('accepts its defaults, its presets and its quick parameters', () => {
    expect(refusalOf(teal, resolveParams(teal), gpu)).toBeNull();
    for (const preset of teal.presets ?? []) expect(refusalOf(teal, resolveParams(teal, preset.params), gpu)).toBeNull();
    expect(refusalOf(teal, resolveParams(teal, {}, true), { limits: defaults, features: new Set() })).toBeNull();
  });

  it('refuses sizes beyond the device’s limits, naming the limit and the value', () => {
    expect(refusalOf(teal, params, { limits: defaults, features: new Set() })).toMatch(/maxStorageBufferBindingSize/);
    expect(refusalOf(teal, { ...params, dIn: 65536, dOut: 65536 }, gpu)).toMatch(/\(17179869184 bytes\), beyond this device's maxBufferSize of .*\(4294967296 bytes\)/);
  });

  it('refuses parameters out of range, naming them in the reader\'s words', () => {
    expect(refusalOf(teal, { ...params, batch: 9 }, gpu)).toBe('Batch must be at most 8 tokens; received 9');
    expect(refusalOf(teal, { ...params, dIn: 0 }, gpu)).toBe('d_in (input channels) must be at least 1; received 0');
    expect(refusalOf(teal, { ...params, sparsity: '0,50,99' }, gpu)).toBe('Sparsity sweep must be at most 95 %; received 99');
    expect(refusalOf(teal, { ...params, sparsity: '0,fifty' }, gpu)).toBe('Sparsity sweep must be a number; received 0,fifty');
    expect(refusalOf(teal, { ...params, dtype: 'bf16' }, gpu)).toBe('Weights must be one of f32; f16 (summed in f32); received bf16');
    expect(refusalOf(teal, { ...params, perPass: 0 }, gpu)).toBe('GEMVs per timed pass must be at least 1; received 0');
  });

  it('parses the sweep once, in order', () => {
    expect(settingsOf(teal, { ...params, sparsity: ' 90, 0 ,50' }).sparsity).toEqual([90, 0, 50]);
  });

  it('refuses, before anything runs, a sweep this device would take too long over', () => {
    // The defaults on a software adapter's ceilings: a 180 MB GEMV at 2 GB/s, 32 to a pass, 23 passes a point.
    const slow = { ceilings: { copyGBps: 2, fp32Gflops: 10 }, timing: { warmup: 3, reps: 20 } };
    expect(refusalOf(teal, resolveParams(teal), gpu, slow)).toMatch(/^the slowest point would take about \d+\.\d+ min on this device/);
    expect(refusalOf(teal, resolveParams(teal, {}, true), gpu, slow)).toBeNull();
  });

  it('runs dense on x itself as the baseline, and judges sparse by the rows its copies of x keep', () => {
    const settings = settingsOf(teal, params);
    const points = teal.points!(settings);
    expect(points.map((point) => point.params['sparsity'])).toEqual([0, 50, 90]);
    expect(points[1]).toMatchObject({ shape: { dIn: 4096, dOut: 11008, batch: 1, sparsity: 0.5, weightCopies: 4, xCopies: 5 }, runsPerPass: 32, label: 'at 50%' });
    const [dense, sparse] = teal.variants!(settings, gpu);
    expect(dense).toMatchObject({ label: 'dense', version: 'dense', shape: { sparsity: 0 }, baseline: true });
    expect(sparse!.cost!(points[1]!)).toEqual({ flops: 45_088_768, bytes: 90_237_952 });
    expect(teal.variants!(settingsOf(teal, { ...params, dtype: 'f16' }), gpu).map((variant) => variant.version)).toEqual(['dense-f16', 'sparse-f16']);
    expect(shapeOf(settingsOf(teal, { ...params, dtype: 'f16', dIn: 8192, dOut: 28672 }), 90)).toMatchObject({ sparsity: 0.9, weightCopies: 2 });
  });

  it('cycles enough copies of Wᵀ to pass 1 GiB, at most 4 and within 1 GiB', () => {
    expect(weightCopies(llama)).toBe(4);
    expect(weightCopies({ ...llama, weights: 'f16' })).toBe(4);
    expect(weightCopies({ ...llama, dOut: 14336 })).toBe(4);
    expect(weightCopies({ dIn: 8192, dOut: 28672, batch: 1, weights: 'f32' })).toBe(1);
    expect(weightCopies({ dIn: 256, dOut: 384, batch: 1, weights: 'f32' })).toBe(4);
    expect(weightCopies({ dIn: 16384, dOut: 32768, batch: 1, weights: 'f32' })).toBe(1);
  });
});
