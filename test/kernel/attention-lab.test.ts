// The FlashAttention lab end to end on the test device at its quick size, through the same runLab the bench and
// the page use: every kernel checked at odd N, the records well formed, the blocks beside the paper's rule.
import { describe, expect, it } from 'vitest';
import { labContext, testGpu } from './device';
import { flashAttention } from '../../src/labs/flash-attention';
import { resolveParams, runLab } from '../../src/labs/harness';
import { runRecordSchema } from '../../src/schemas/results';

const gpu = await testGpu();

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
