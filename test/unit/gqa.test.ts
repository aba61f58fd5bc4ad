// The GQA lab's pure parts and the decode family's: the KV-cache calculator, the cost model, the plans the family
// makes from its knobs on an H100-like device (subgroups of 32), its refusals, and the lab's parameters. Every
// expected number is worked out by hand in its comment.
import { describe, expect, it } from 'vitest';
import { DECODERS, kvBytesPerToken, kvCacheTable, mhaBytesPerToken } from '../../src/models/kv-cache';
import { decodeBytes, decodeFlops, kvBytes } from '../../src/kernels/decode/cost';
import { chooseSplits, planDecode, shapeProblem, subgroupLayout, splitPassSource } from '../../src/kernels/decode/decode';
import { decode, kvCopies, planOf, splitsOf } from '../../src/kernels/decode/index';
import { decodeReference } from '../../src/kernels/decode/decode.reference';
import { versionOf, type FamilyDevice } from '../../src/kernels/family';
import { hashValue } from '../../src/kernels/gpu/hashed';
import { gqa, kvHeadsOf, variantName, versionFor } from '../../src/labs/gqa';
import { refusalOf, resolveParams, settingsOf } from '../../src/labs/harness';
import { boundOf } from '../../src/models/bound';

const model = (name: string) => DECODERS.find((m) => m.name === name)!;
const MiB = 2 ** 20;

describe('KV-cache calculator', () => {
  it('gives fp16 bytes per token as 2 · layers · H_kv · d · 2', () => {
    // Llama-2-7B: 2 · 32 layers · 32 KV heads · 128 · 2 bytes; Llama-2-70B: 2 · 80 · 8 · 128 · 2.
    expect(kvBytesPerToken(model('Llama-2-7B'))).toBe(524288);
    expect(kvBytesPerToken(model('Llama-2-70B'))).toBe(327680);
    // Llama-3-8B and Mistral-7B: 2 · 32 · 8 · 128 · 2.
    expect(kvBytesPerToken(model('Llama-3-8B'))).toBe(131072);
    expect(kvBytesPerToken(model('Mistral-7B'))).toBe(131072);
    expect(kvBytesPerToken(model('Llama-2-7B'), 'f32')).toBe(1048576);
  });

  it('shows what GQA saves against MHA with the same query heads', () => {
    // 32 query heads over 8 KV heads; 64 over 8; Llama-2-7B is MHA.
    expect(mhaBytesPerToken(model('Llama-3-8B')) / kvBytesPerToken(model('Llama-3-8B'))).toBe(4);
    expect(mhaBytesPerToken(model('Llama-2-70B')) / kvBytesPerToken(model('Llama-2-70B'))).toBe(8);
    expect(mhaBytesPerToken(model('Llama-2-7B'))).toBe(524288);
  });

  it('tabulates 4K and 32K contexts and their decode-time bound at a bandwidth', () => {
    const table = kvCacheTable(2000, { models: ['Llama-2-7B', 'Llama-2-70B', 'Llama-3-8B', 'Mistral-7B'].map(model) });
    expect(kvCacheTable(2000).map((row) => row.model.name)).toEqual(DECODERS.map((m) => m.name));
    expect(DECODERS.map((m) => m.name)).not.toContain('BERT-base (uncased)');
    const llama7 = table[0]!;
    expect(llama7.contexts.map((c) => c.tokens)).toEqual([4096, 32768]);
    // 524288 bytes a token: 2 GiB at 4096 tokens, 16 GiB at 32768; 2 GiB at 2000 GB/s takes 1.0737 ms.
    expect(llama7.contexts[0]!.bytes).toBe(2048 * MiB);
    expect(llama7.contexts[1]!.bytes).toBe(16384 * MiB);
    expect(llama7.contexts[0]!.boundSeconds).toBeCloseTo(1.073741824e-3, 12);
    expect(table[2]!.groupSize).toBe(4);
    // Llama-2-70B: 327680 bytes a token × 32768 tokens = 10 GiB.
    expect(table[1]!.contexts[1]!.bytes).toBe(10 * 2 ** 30);
    expect(() => kvCacheTable(0)).toThrow(/bandwidth/);
  });
});

describe('decode cost model and theory', () => {
  const shape = { batch: 8, queryHeads: 32, kvHeads: 8, seqLen: 8192, headDim: 128 };
  it('counts K and V once, plus q and the output', () => {
    // K and V: 2 · 8 · 8 · 8192 · 128 values = 128 Mi values, 512 MiB in f32 and 256 MiB in f16.
    expect(kvBytes(shape, 'f32')).toBe(512 * MiB);
    expect(kvBytes(shape, 'f16')).toBe(256 * MiB);
    // q and the output: 2 · 8 · 32 · 128 f32 values = 256 KiB.
    expect(decodeBytes(shape, 'f32')).toBe(512 * MiB + 256 * 1024);
    // 4 · 8 · 32 · 8192 · 128 = 2^30.
    expect(decodeFlops(shape)).toBe(2 ** 30);
    expect(decode.cost(shape, versionOf(decode, 'subgroup-f16'))).toEqual({ flops: 2 ** 30, bytes: 256 * MiB + 256 * 1024, dispatches: 2 });
  });
  it('bounds time by bytes over the faster of copy and read bandwidth, and GQA-8 reads a quarter of MHA', () => {
    const ceilings = { copyGBps: 1900, readGBps: 2000, fp32Gflops: 50_000 };
    // 537133056 bytes at 2000 GB/s; 2^30 FLOPs at 50 TFLOP/s would take only 21 µs.
    expect(boundOf(decodeFlops(shape), decodeBytes(shape, 'f32'), ceilings, 'fp32', 0)).toEqual({ seconds: 537133056 / 2e12, limitedBy: 'bandwidth' });
    expect(kvBytes({ ...shape, kvHeads: 32 }, 'f32')).toBe(2048 * MiB);
  });
  it('rotates copies of a small cache past the L2, and not of a large one', () => {
    // At S=256 the cache is 16 MiB: 16 copies would make 256 MiB, at most 4 are made; at S=8192 it is 512 MiB.
    expect(kvCopies({ ...shape, seqLen: 256 }, 'f32')).toBe(4);
    // At S=2048 in f16 it is 64 MiB: 4 copies make 256 MiB.
    expect(kvCopies({ ...shape, seqLen: 2048 }, 'f16')).toBe(4);
    expect(kvCopies({ ...shape, seqLen: 4096 }, 'f16')).toBe(2);
    expect(kvCopies(shape, 'f32')).toBe(1);
  });
});

describe('decode reference', () => {
  it('is the softmax-weighted mean of V, and ignores a constant added to every score', () => {
    const shape = { batch: 1, queryHeads: 1, kvHeads: 1, seqLen: 2, headDim: 4 };
    // Scores q·k/√d: 0 and 1 → weights 1/(1+e) and e/(1+e).
    const out = decodeReference(shape, [2, 0, 0, 0], [0, 0, 0, 0, 1, 0, 0, 0], [1, 2, 3, 4, 5, 6, 7, 8]);
    const w = Math.E / (1 + Math.E);
    expect(Array.from(out)).toEqual([1, 2, 3, 4].map((x) => Math.fround(x * (1 - w) + (x + 4) * w)));
    const shifted = decodeReference(shape, [2, 1000, 0, 0], [0, 1, 0, 0, 1, 1, 0, 0], [1, 2, 3, 4, 5, 6, 7, 8]);
    for (let i = 0; i < 4; i++) expect(shifted[i]).toBeCloseTo(out[i]!, 5);
  });
  it('hashed fill values are multiples of 2^-10 in [-1, 1)', () => {
    for (let i = 0; i < 1000; i++) {
      const value = hashValue(i, 3);
      expect(value).toBeGreaterThanOrEqual(-1);
      expect(value).toBeLessThan(1);
      expect(Number.isInteger(value * 1024)).toBe(true);
    }
  });
});

describe('decode plans', () => {
  it('splits the context until the GPU has enough workgroups', () => {
    // 512 workgroups over 8 KV heads: 64 splits; over 8 · 32: 2; S=100 holds 2 splits of at least 64 rows.
    expect(chooseSplits({ batch: 1, queryHeads: 32, kvHeads: 8, seqLen: 32768, headDim: 128 }, 512)).toBe(64);
    expect(chooseSplits({ batch: 8, queryHeads: 32, kvHeads: 32, seqLen: 8192, headDim: 128 }, 512)).toBe(2);
    expect(chooseSplits({ batch: 1, queryHeads: 8, kvHeads: 8, seqLen: 100, headDim: 64 }, 512)).toBe(2);
  });

  it('lays version 2 out on subgroups of 32: one head per 32 lanes for MHA, four heads side by side for GQA-8', () => {
    expect(subgroupLayout(1, 32, 'f32', 32)).toEqual({ team: 32, lanesPerHead: 32, headSlots: 1, rowSlots: 1, headBlocks: 1, rowGroups: 8 });
    expect(subgroupLayout(1, 16, 'f16', 32)).toEqual({ team: 32, lanesPerHead: 16, headSlots: 1, rowSlots: 2, headBlocks: 1, rowGroups: 8 });
    expect(subgroupLayout(4, 32, 'f32', 32)).toEqual({ team: 32, lanesPerHead: 8, headSlots: 4, rowSlots: 1, headBlocks: 1, rowGroups: 8 });
    expect(subgroupLayout(32, 32, 'f32', 32)).toEqual({ team: 32, lanesPerHead: 4, headSlots: 8, rowSlots: 1, headBlocks: 4, rowGroups: 2 });
    const plan = planDecode({ batch: 8, queryHeads: 32, kvHeads: 8, seqLen: 8192, headDim: 128 }, { version: 'subgroup', dtype: 'f32' }, 32);
    expect(plan).toMatchObject({ workgroupSize: 256, columnsPerLane: 4 });
    expect(splitPassSource(plan)).toContain('subgroupShuffleXor(s0, 4u)');
  });

  it('says what is wrong with a shape', () => {
    expect(shapeProblem({ batch: 1, queryHeads: 6, kvHeads: 4, seqLen: 8, headDim: 64 }, 'f32')).toMatch(/multiple of kvHeads/);
    expect(shapeProblem({ batch: 1, queryHeads: 4, kvHeads: 4, seqLen: 8, headDim: 36 }, 'f16')).toMatch(/multiple of 8/);
    expect(shapeProblem({ batch: 0, queryHeads: 4, kvHeads: 4, seqLen: 8, headDim: 64 }, 'f32')).toMatch(/batch/);
    expect(() => planDecode({ batch: 1, queryHeads: 512, kvHeads: 1, seqLen: 8, headDim: 128 }, { version: 'subgroup', dtype: 'f32' }, 32)).toThrow(/invocations/);
  });

  it('asks by default for about 256 workgroups and at least two splits (the H100 tuning), two rows a step in f32 and four in f16', () => {
    const plan = (batch: number, kvHeads: number, seqLen: number, version = 'subgroup-f32') =>
      planOf({ batch, queryHeads: 32, kvHeads, seqLen, headDim: 128 }, versionOf(decode, version), {}, 32);
    // 256 / 8 KV heads = 32 splits; 256 / 64 = 4; 256 / 256 = 1, raised to 2; a context of one row holds one split.
    expect(plan(1, 8, 32768).splits).toBe(32);
    expect(plan(8, 8, 8192).splits).toBe(4);
    expect(plan(8, 32, 8192).splits).toBe(2);
    expect(plan(1, 32, 1).splits).toBe(1);
    expect(plan(8, 8, 8192).rowsPerStep).toBe(2);
    expect(plan(8, 8, 8192, 'subgroup-f16').rowsPerStep).toBe(4);
    // Teams of 32 lanes, the device's subgroup; GQA-4 puts four heads side by side (see the layout above).
    expect(plan(8, 8, 8192).layout).toMatchObject({ team: 32, headSlots: 4 });
  });

  it('takes its knobs: one split, a fixed count cut into equal pieces, and smaller teams', () => {
    const shape = { batch: 1, queryHeads: 8, kvHeads: 8, seqLen: 1000, headDim: 128 };
    expect(planOf(shape, versionOf(decode, 'workgroup-f32'), { splits: 1 }, 32)).toMatchObject({ splits: 1, chunkLen: 1000, workgroupSize: 64 });
    // 16 pieces of 1000 rows: 63 rows each, so 16 splits, the last of 55 rows.
    expect(planOf(shape, versionOf(decode, 'workgroup-f32'), { splits: 16 }, 32)).toMatchObject({ splits: 16, chunkLen: 63 });
    expect(splitsOf(shape, { splits: 16 })).toBe(16);
    // The automatic count: 256 / 8 KV heads = 32, but 1000 rows hold only 16 splits of at least 64.
    expect(splitsOf(shape, {})).toBe(16);
    expect(planOf(shape, versionOf(decode, 'subgroup-f32'), { team: 8 }, 32).layout).toMatchObject({ team: 8, lanesPerHead: 8 });
  });
});

describe('decode family refusals', () => {
  const limits = { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30, maxComputeWorkgroupsPerDimension: 65535, maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupStorageSize: 16384 };
  const device = (subgroupMinSize?: number, features = ['subgroups']): FamilyDevice => ({ limits, features: new Set(features), subgroupMinSize });
  const shape = { batch: 1, queryHeads: 8, kvHeads: 2, seqLen: 100, headDim: 64 };

  it('runs version 1 anywhere, version 2 only with subgroups that hold its teams', () => {
    expect(decode.refusal(device(undefined, []), shape, versionOf(decode, 'workgroup-f16'), {})).toBeNull();
    expect(decode.refusal(device(undefined, []), shape, versionOf(decode, 'subgroup-f32'), {})).toMatch(/no subgroups/);
    expect(decode.refusal(device(4), shape, versionOf(decode, 'subgroup-f32'), { team: 4 })).toBeNull();
    expect(decode.refusal(device(4), shape, versionOf(decode, 'subgroup-f32'), { team: 8 })).toMatch(/Teams of 8 lanes.*some of 4/);
  });

  it('names the limit a shape is beyond', () => {
    // 512 query heads on one KV head need 512 invocations in version 2.
    expect(decode.refusal(device(32), { ...shape, queryHeads: 512, kvHeads: 1, headDim: 128 }, versionOf(decode, 'subgroup-f32'), {})).toMatch(/invocations/);
    // K: 8 · 32 · 65536 · 128 · 4 bytes = 8 GiB.
    expect(decode.refusal(device(32), { batch: 8, queryHeads: 32, kvHeads: 32, seqLen: 65536, headDim: 128 }, versionOf(decode, 'workgroup-f32'), {})).toMatch(
      /K \(and V\) for this decode step needs 8 GiB.*maxBufferSize of 1 GiB/,
    );
    expect(decode.refusal(device(32), { ...shape, headDim: 36 }, versionOf(decode, 'workgroup-f16'), {})).toMatch(/multiple of 8/);
  });

  it('reads a shape from the command line, with defaults', () => {
    expect(decode.shapeOf({ seqLen: 4096, kvHeads: 8 })).toEqual({ batch: 1, queryHeads: 32, kvHeads: 8, seqLen: 4096, headDim: 128 });
    expect(() => decode.shapeOf({ batch: 2 })).toThrow(/takes seqLen/);
  });
});

describe('gqa lab parameters', () => {
  const limits = { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30, maxComputeWorkgroupsPerDimension: 65535, maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupStorageSize: 16384 };
  const features = new Set(['subgroups']);

  it('names variants as Ainslie et al. do', () => {
    expect(variantName(32, 32)).toBe('MHA');
    expect(variantName(32, 8)).toBe('GQA-8');
    expect(variantName(32, 1)).toBe('MQA');
  });

  it('parses lists, orders variants MHA first, and picks the kernel version from the features', () => {
    const settings = settingsOf(gqa, resolveParams(gqa, { kvHeads: '1, 32, 8, 8', seqLen: '100, 7' }));
    expect(kvHeadsOf(settings)).toEqual([32, 8, 1]);
    expect(settings.seqLen).toEqual([100, 7]);
    expect(versionFor('auto', { limits, features })).toBe('subgroup');
    expect(versionFor('auto', { limits, features: new Set() })).toBe('workgroup');
    // Wide groups go to the matrix units where the device has them and K/V are f16; narrow ones, and f32 K/V, stay on version 2.
    // A device of 32-lane subgroups (an NVIDIA GPU's); one that does not say is assumed to run 128, and MQA's two row
    // blocks of two slots would then need 512 invocations, beyond these limits: it keeps version 2.
    const adapterInfo = { subgroupMinSize: 32, subgroupMaxSize: 32 } as GPUAdapterInfo;
    const matrixDevice = { limits, features: new Set([...features, 'shader-f16', 'chromium-experimental-subgroup-matrix']), device: { adapterInfo } as GPUDevice };
    const mqa = { batch: 8, queryHeads: 32, kvHeads: 1, seqLen: 1, headDim: 128 };
    expect(versionFor('auto', matrixDevice, mqa, 'f16')).toBe('matrix');
    expect(versionFor('auto', matrixDevice, { ...mqa, kvHeads: 2 }, 'f16')).toBe('matrix');
    expect(versionFor('auto', matrixDevice, mqa, 'f32')).toBe('subgroup');
    expect(versionFor('auto', matrixDevice, { ...mqa, kvHeads: 8 }, 'f16')).toBe('subgroup');
    expect(versionFor('auto', { limits, features }, mqa, 'f16')).toBe('subgroup');
    expect(versionFor('auto', { ...matrixDevice, device: undefined }, mqa, 'f16')).toBe('subgroup');
    expect(refusalOf(gqa, resolveParams(gqa, { kernel: 'matrix', dtype: 'f16' }), { limits, features })).toMatch(/matrix-unit decode kernel cannot run/);
    expect(refusalOf(gqa, resolveParams(gqa, { kernel: 'matrix' }), matrixDevice)).toMatch(/reads K and V in f16/);
    expect(refusalOf(gqa, resolveParams(gqa, { kvHeads: '5' }), { limits, features })).toMatch(/must divide the 32 query heads; 5 does not/);
    expect(refusalOf(gqa, resolveParams(gqa, { headDim: '96' }), { limits, features })).toMatch(/Head dimension \(d\) must be one of 64; 80; 128/);
  });

  it('runs each number of KV heads as a variant at each context length, MHA the baseline', () => {
    const settings = settingsOf(gqa, resolveParams(gqa, { kvHeads: '8, 32', seqLen: '100, 7', dtype: 'f16', split: 'none' }));
    const variants = gqa.variants!(settings, { limits, features });
    expect(variants.map((v) => [v.label, v.version, v.shape, v.baseline])).toEqual([
      ['MHA', 'subgroup-f16', { kvHeads: 32 }, true],
      ['GQA-8', 'subgroup-f16', { kvHeads: 8 }, false],
    ]);
    expect(variants[0]!.knobs).toEqual({ splits: 1 });
    expect(gqa.points!(settings).map((point) => point.shape.seqLen)).toEqual([100, 7]);
  });

  it('accepts its defaults, quick sizes and presets on a 1 GiB device', () => {
    expect(refusalOf(gqa, resolveParams(gqa), { limits, features })).toBeNull();
    expect(refusalOf(gqa, resolveParams(gqa, {}, true), { limits, features: new Set() })).toBeNull();
    for (const preset of gqa.presets!) expect(refusalOf(gqa, resolveParams(gqa, preset.params), { limits: { ...limits, maxBufferSize: 2 ** 31, maxStorageBufferBindingSize: 2 ** 31 - 4 }, features }), preset.label).toBeNull();
  });

  it('refuses a cache beyond the buffer limits, naming the variant, the limit and the size', () => {
    const message = refusalOf(gqa, resolveParams(gqa, { batch: 8, kvHeads: '32', seqLen: '65536' }), { limits, features });
    expect(message).toMatch(/MHA kernel at S=65536: K \(and V\)/);
    expect(message).toMatch(/maxBufferSize of 1 GiB/);
  });

  it('refuses version 2 without subgroups, and a bad list', () => {
    expect(refusalOf(gqa, resolveParams(gqa, { kernel: 'subgroup' }), { limits, features: new Set() })).toMatch(/subgroups/);
    expect(refusalOf(gqa, resolveParams(gqa, { seqLen: '' }), { limits, features })).toMatch(/Context lengths \(S\) needs at least one number/);
  });
});
