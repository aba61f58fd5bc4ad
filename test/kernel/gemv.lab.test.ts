// The TEAL lab end to end on the test device at its quick size: every point checked, records well formed.
import { describe, expect, it } from 'vitest';
import { testGpu } from './device';
import { teal } from '../../src/labs/teal';
import { refusalOf, resolveParams, settingsOf } from '../../src/labs/harness';
import { runRecordSchema, type RunRecord } from '../../src/schemas/results';

const gpu = await testGpu();

describe.skipIf(!gpu)('teal lab on the test device', () => {
  it('yields a checked dense and sparse record per sparsity, with speedup and output error', async () => {
    const params = resolveParams(teal, { dOut: 385, batch: 2 }, true);
    expect(refusalOf(teal, params, gpu!)).toBeNull();
    const progress: string[] = [];
    const records: RunRecord[] = [];
    const ctx = {
      gpu: gpu!,
      // Stand-in ceilings: this test checks the records' form, not their bounds.
      ceilings: { copyGBps: 1, fp32Gflops: 1 },
      timing: { warmup: 1, reps: 3 },
      signal: new AbortController().signal,
      progress: (done: number, total: number, what: string) => progress.push(`${done}/${total} ${what}`),
    };
    for await (const record of teal.run!(ctx, settingsOf(teal, params))) records.push(runRecordSchema.parse(record));
    expect(records.map((r) => `${r.variant} ${r.params['sparsity']}`)).toEqual(['dense 0', 'sparse 0', 'dense 50', 'sparse 50', 'dense 90', 'sparse 90']);
    for (const record of records) expect(record.check, `${record.variant} at ${record.params['sparsity']}%`).toMatchObject({ ok: true });
    const sparse = records.filter((r) => r.variant === 'sparse');
    expect(sparse.map((r) => r.extra!['keptRows'])).toEqual([256, expect.any(Number), expect.any(Number)]);
    // A batch of 2 reads the union of its tokens' rows: between 1 − s and 1 − s² of them.
    expect(sparse[2]!.extra!['keptRows']).toBeGreaterThan(0.1 * 256);
    expect(sparse[2]!.extra!['keptRows']).toBeLessThan(0.19 * 256 + 10);
    expect(sparse[0]!.extra!['relError']).toBe(0);
    expect(sparse[1]!.extra!['relError']).toBeGreaterThan(0);
    expect(sparse[2]!.extra!['relError']).toBeGreaterThan(sparse[1]!.extra!['relError']!);
    expect(progress.at(-1)).toBe('6/6 done');
  });
});
