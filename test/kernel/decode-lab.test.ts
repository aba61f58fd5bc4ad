// The GQA lab end to end on the test device at its quick size: every point checked, records well formed,
// through the same runLab the bench and the page use (oversize parameters refused before anything runs).
import { describe, expect, it } from 'vitest';
import { labContext, testGpu } from './device';
import { gqa } from '../../src/labs/gqa';
import { resolveParams, runLab } from '../../src/labs/harness';
import { runRecordSchema } from '../../src/schemas/results';
import type { Params } from '../../src/labs/types';

const gpu = await testGpu();

describe.skipIf(!gpu)('gqa lab on the test device', () => {
  const ctx = () => labContext(gpu!);

  const cases: Params[] = [{}, { dtype: 'f16', kernel: 'workgroup', split: 'none', batch: 1 }];
  for (const overrides of cases) {
    it(`runs its quick sweep checked, ${JSON.stringify(overrides)}`, async () => {
      const params = resolveParams(gqa, overrides, true);
      const outcome = await runLab(gqa, ctx(), params);
      expect(outcome.kind, 'message' in outcome ? outcome.message : '').toBe('done');
      const records = outcome.records.map((record) => runRecordSchema.parse(record));
      // Each context length, its variants MHA first (the baseline of the speedups).
      expect(records.map((r) => `${r.variant} ${r.params['seqLen']}`)).toEqual(['MHA 37', 'GQA-2 37', 'MQA 37', 'MHA 200', 'GQA-2 200', 'MQA 200']);
      for (const record of records) {
        expect(record.check, `${record.variant} at S=${record.params['seqLen']}`).toMatchObject({ ok: true });
        expect(record.extra!['fractionOfCopy']).toBeCloseTo(record.achieved.gbps, 6);
      }
      // Every variant wants 16 or more splits for 256 workgroups, but a split keeps at least 64 rows: 37 rows hold
      // one, raised to the fewest, two; 200 rows hold 4.
      expect(records.map((r) => r.extra!['splits'])).toEqual(overrides.split === 'none' ? [1, 1, 1, 1, 1, 1] : [2, 2, 2, 4, 4, 4]);
      expect(records.map((r) => r.extra!['speedupOverMha']! > 0)).toEqual(records.map(() => true));
      expect(records[0]!.extra!['speedupOverMha']).toBe(1);
      expect(records[0]!.params['kernel']).toBe('kernel' in overrides ? 'workgroup' : gpu!.features.has('subgroups') ? 'subgroup' : 'workgroup');
    });
  }

  it('refuses a KV cache beyond the device limits, naming the limit', async () => {
    const params = resolveParams(gqa, { batch: 256, queryHeads: 64, kvHeads: '64', seqLen: '1000000' });
    const outcome = await runLab(gqa, ctx(), params);
    expect(outcome.kind).toBe('too-large');
    expect('message' in outcome && outcome.message).toMatch(/maxBufferSize|maxStorageBufferBindingSize/);
  });
});
