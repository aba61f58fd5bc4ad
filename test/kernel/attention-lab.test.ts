// The FlashAttention lab end to end on the test device at its quick size, through the same runLab the bench and
// the page use: every kernel checked at odd N, the records well formed, the blocks beside the paper's rule; and
// which kernels it runs on devices with and without subgroup matrices.
import { describe, expect, it } from 'vitest';
import { labContext, testGpu } from './device';
import { flashAttention, variantsOf } from '../../src/labs/flash-attention';
import { resolveParams, runLab, settingsOf } from '../../src/labs/harness';
import type { LabDevice } from '../../src/labs/types';
import { runRecordSchema } from '../../src/schemas/results';

const gpu = await testGpu();

describe('the flash-attention lab\'s kernels', () => {
  const settings = settingsOf(flashAttention, resolveParams(flashAttention, { seqLen: '4096, 1024' }));
  const limits = { maxStorageBufferBindingSize: 2 ** 31, maxBufferSize: 2 ** 31, maxComputeWorkgroupsPerDimension: 65535, maxComputeInvocationsPerWorkgroup: 1024 };
  const matrixFeatures = new Set(['shader-f16', 'subgroups', 'chromium-experimental-subgroup-matrix']);
  const subgroupMatrixConfigs = [{ componentType: 'f16', resultComponentType: 'f32', M: 16, N: 16, K: 16 }];
  it('runs the naive kernel first, where it fits, and the tensor-core one only where the device offers subgroup matrices', () => {
    const without = variantsOf(settings, { features: new Set(), limits: { ...limits, maxComputeWorkgroupStorageSize: 49152 } });
    expect(without.map((variant) => [variant.label, variant.optional ?? false, variant.baseline ?? false])).toEqual([
      ['naive', true, true],
      ['tiled', false, false],
    ]);
  });
  it('gives the tensor-core kernel the first preferred blocks this device\'s workgroup memory holds', () => {
    const on = (shared: number) => variantsOf(settings, { features: matrixFeatures, limits: { ...limits, maxComputeWorkgroupStorageSize: shared }, info: { subgroupMatrixConfigs } as LabDevice['info'] }).at(2);
    expect(on(49152)).toMatchObject({ label: 'tiled, tensor cores', version: 'matrix', knobs: { subgroups: 4, keys: 32 }, params: { dtype: 'f16' } });
    expect(on(8192)?.knobs).toEqual({ subgroups: 2, keys: 32 });
  });
});

describe.skipIf(!gpu)('flash-attention lab on the test device', () => {
  const ctx = () => labContext(gpu!);

  it('runs its quick sweep checked, naive and tiled at each N, and says so first', async () => {
    const outcome = await runLab(flashAttention, ctx(), resolveParams(flashAttention, {}, true));
    expect(outcome.kind, 'message' in outcome ? outcome.message : '').toBe('done');
    const records = outcome.records.map((record) => runRecordSchema.parse(record));
    const f32 = records.filter((record) => record.params['dtype'] === 'f32');
    expect(f32.map((r) => `${r.variant} ${r.params['seqLen']}`)).toEqual(['naive 37', 'tiled 37', 'naive 130', 'tiled 130']);
    for (const record of records) expect(record.check, `${record.variant} at N=${record.params['seqLen']}`).toMatchObject({ ok: true });
    const tiled = f32[3]!.extra!;
    expect(tiled['speedupOverNaive']).toBeGreaterThan(0);
    // d = 64 in the quick preset: B_c = ⌈M/4d⌉ for M the workgroup memory in f32 values.
    expect(tiled['paperBlockKeys']).toBe(Math.ceil(gpu!.limits['maxComputeWorkgroupStorageSize']! / 4 / 256));
    expect(tiled['workgroupBytes']).toBeLessThanOrEqual(tiled['workgroupLimitBytes']!);
    expect(flashAttention.verdict!(records, 'this GPU')).toMatch(/^At N=130 this GPU ran the tiled kernel .* as fast as the naive one .*paper's rule/);
  });
});
