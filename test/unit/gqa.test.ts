// The GQA lab's pure parts: the KV-cache calculator, the cost model, parameter parsing, refusals, and the
// kernel plans it asks for on an H100-like device (subgroups of 32).
import { describe, expect, it } from 'vitest';
import { CONTEXTS, DECODERS, kvBytesPerToken, kvCacheTable, mhaBytesPerToken } from '../../src/models/kv-cache';
import { decodeBytes, decodeFlops, kvBytes } from '../../src/kernels/decode/cost';
import { chooseSplits, planDecode, shapeProblem, subgroupLayout, splitPassSource } from '../../src/kernels/decode/decode';
import { decodeReference } from '../../src/kernels/decode/decode.reference';
import { hashValue } from '../../src/kernels/gpu/hashed';
import { gqa, kvCopies, kvHeadsOf, planFor, variantName, versionFor } from '../../src/labs/gqa';
import { refusalOf, resolveParams, settingsOf } from '../../src/labs/harness';
import { boundOf } from '../../src/labs/record';

const model = (name: string) => DECODERS.find((m) => m.name === name)!;
const MiB = 2 ** 20;

describe('KV-cache calculator', () => {
  it('gives fp16 bytes per token as 2 · layers · H_kv · d · 2', () => {
    expect(kvBytesPerToken(model('Llama-2-7B'))).toBe(524288);
    expect(kvBytesPerToken(model('Llama-2-70B'))).toBe(2 * 80 * 8 * 128 * 2);
    expect(kvBytesPerToken(model('Llama-3-8B'))).toBe(131072);
    expect(kvBytesPerToken(model('Mistral-7B'))).toBe(131072);
    expect(kvBytesPerToken(model('Llama-2-7B'), 'f32')).toBe(2 * 524288);
  });

  it('shows what GQA saves against MHA with the same query heads', () => {
    expect(mhaBytesPerToken(model('Llama-3-8B')) / kvBytesPerToken(model('Llama-3-8B'))).toBe(4);
    expect(mhaBytesPerToken(model('Llama-2-70B')) / kvBytesPerToken(model('Llama-2-70B'))).toBe(8);
    expect(mhaBytesPerToken(model('Llama-2-7B'))).toBe(kvBytesPerToken(model('Llama-2-7B')));
  });

  it('tabulates 4K and 32K contexts and their decode-time bound at a bandwidth', () => {
    const table = kvCacheTable(2000, { models: ['Llama-2-7B', 'Llama-2-70B', 'Llama-3-8B', 'Mistral-7B'].map(model) });
    expect(kvCacheTable(2000).map((row) => row.model.name)).toEqual(DECODERS.map((m) => m.name));
    expect(DECODERS.map((m) => m.name)).not.toContain('BERT-base (uncased)');
    const llama7 = table[0]!;
    expect(llama7.contexts.map((c) => c.tokens)).toEqual([...CONTEXTS]);
    expect(llama7.contexts[0]!.bytes).toBe(2048 * MiB);
    expect(llama7.contexts[1]!.bytes).toBe(16384 * MiB);
    expect(llama7.contexts[0]!.boundSeconds).toBeCloseTo((2048 * MiB) / 2e12, 12);
    expect(table[2]!.groupSize).toBe(4);
    expect(table[1]!.contexts[1]!.bytes).toBe(327680 * 32768);
    expect(() => kvCacheTable(0)).toThrow(/bandwidth/);
  });
});

describe('decode cost model and theory', () => {
  const shape = { batch: 8, queryHeads: 32, kvHeads: 8, seqLen: 8192, headDim: 128 };
  it('counts K and V once, plus q and the output', () => {
    expect(kvBytes(shape, 'f32')).toBe(2 * 8 * 8 * 8192 * 128 * 4);
    expect(kvBytes(shape, 'f16')).toBe(2 * 8 * 8 * 8192 * 128 * 2);
    expect(decodeBytes(shape, 'f32')).toBe(kvBytes(shape, 'f32') + 2 * 8 * 32 * 128 * 4);
    expect(decodeFlops(shape)).toBe(4 * 8 * 32 * 8192 * 128);
  });
  it('bounds time by bytes over the faster of copy and read bandwidth, and GQA-8 reads a quarter of MHA', () => {
    const ceilings = { copyGBps: 1900, readGBps: 2000, fp32Gflops: 50_000 };
    expect(boundOf(decodeFlops(shape), decodeBytes(shape, 'f32'), ceilings, 'fp32', 0)).toEqual({ seconds: decodeBytes(shape, 'f32') / 2e12, limitedBy: 'bandwidth' });
    const mha = { ...shape, kvHeads: 32 };
    expect(kvBytes(mha, 'f32') / kvBytes(shape, 'f32')).toBe(4);
  });
  it('rotates copies of a small cache past the L2, and not of a large one', () => {
    expect(kvCopies({ ...shape, seqLen: 256 }, 'f32')).toBe(4);
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

  it('asks for about 256 workgroups and at least two splits (the H100 tuning)', () => {
    const plan = (batch: number, kvHeads: number, seqLen: number) => planFor({ batch, queryHeads: 32, kvHeads, seqLen, headDim: 128 }, { dtype: 'f32', split: 'flash' }, 'subgroup', 32);
    expect(plan(1, 8, 32768).splits).toBe(32);
    expect(plan(8, 8, 8192).splits).toBe(4);
    expect(plan(8, 32, 8192).splits).toBe(2);
    expect(plan(1, 32, 1).splits).toBe(1);
    expect(plan(8, 8, 8192).rowsPerStep).toBe(2);
  });

  it('uses version 1 with no split when asked', () => {
    const plan = planFor({ batch: 1, queryHeads: 8, kvHeads: 8, seqLen: 1000, headDim: 128 }, { dtype: 'f32', split: 'none' }, 'workgroup', 32);
    expect(plan).toMatchObject({ splits: 1, chunkLen: 1000, workgroupSize: 64 });
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
    const settings = settingsOf(gqa, resolveParams(gqa, { kvHeads: '1, 32, 8, 8' }));
    expect(kvHeadsOf(settings)).toEqual([32, 8, 1]);
    expect(settings.seqLen).toEqual([1024, 2048, 4096, 8192, 16384]);
    expect(settings.headDim).toBe('128');
    expect(versionFor('auto', features)).toBe('subgroup');
    expect(versionFor('auto', new Set())).toBe('workgroup');
    expect(refusalOf(gqa, resolveParams(gqa, { kvHeads: '5' }), { limits, features })).toMatch(/must divide the 32 query heads; 5 does not/);
    expect(refusalOf(gqa, resolveParams(gqa, { headDim: '96' }), { limits, features })).toMatch(/Head dimension \(d\) must be one of 64; 80; 128/);
  });

  it('accepts its defaults, quick sizes and presets on a 1 GiB device', () => {
    expect(refusalOf(gqa, resolveParams(gqa), { limits, features })).toBeNull();
    expect(refusalOf(gqa, resolveParams(gqa, {}, true), { limits, features: new Set() })).toBeNull();
    for (const preset of gqa.presets!) expect(refusalOf(gqa, resolveParams(gqa, preset.params), { limits: { ...limits, maxBufferSize: 2 ** 31, maxStorageBufferBindingSize: 2 ** 31 - 4 }, features }), preset.label).toBeNull();
  });

  it('refuses a cache beyond the buffer limits, naming the limit and the size', () => {
    const message = refusalOf(gqa, resolveParams(gqa, { batch: 8, kvHeads: '32', seqLen: '65536' }), { limits, features });
    expect(message).toMatch(/K \(and V\) for MHA at S=65536/);
    expect(message).toMatch(/maxBufferSize of 1 GiB/);
  });

  it('refuses version 2 without subgroups, and a bad list', () => {
    expect(refusalOf(gqa, resolveParams(gqa, { kernel: 'subgroup' }), { limits, features: new Set() })).toMatch(/subgroups/);
    expect(refusalOf(gqa, resolveParams(gqa, { seqLen: '' }), { limits, features })).toMatch(/Context lengths \(S\) needs at least one number/);
  });
});
