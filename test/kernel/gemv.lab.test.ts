// The TEAL lab end to end on the test device at its quick size, through the harness: every point checked, records
// well formed, the sparse GEMV's rows and output error as TEAL's sparsity has them.
import { describe, expect, it } from 'vitest';
import { labContext, testGpu } from './device';
import { teal } from '../../src/labs/teal';
import { refusalOf, resolveParams, runLab } from '../../src/labs/harness';
import { runRecordSchema } from '../../src/schemas/results';

const gpu = await testGpu();

describe.skipIf(!gpu)('teal lab on the test device', () => {
  it('yields a checked dense and sparse record per sparsity, with speedup and output error', async () => {
    const params = resolveParams(teal, { dOut: 385, batch: 2 }, true);
    expect(refusalOf(teal, params, gpu!)).toBeNull();
    const progress: string[] = [];
    const launchSeconds = 1e-3;
    const ctx = {
      ...labContext(gpu!),
      ceilings: { copyGBps: 1, fp32Gflops: 1, launchSeconds },
      progress: (done: number, total: number, what: string) => progress.push(`${done}/${total} ${what}`),
    };
    const run = await runLab(teal, ctx, params);
    expect(run.kind).toBe('done');
    const records = run.records.map((record) => runRecordSchema.parse(record));
    expect(records.map((r) => `${r.variant} ${r.params['sparsity']}`)).toEqual(['dense 0', 'sparse 0', 'dense 50', 'sparse 50', 'dense 90', 'sparse 90']);
    for (const record of records) expect(record.check, `${record.variant} at ${record.params['sparsity']}%`).toMatchObject({ ok: true });
    const sparse = records.filter((r) => r.variant === 'sparse');
    expect(sparse.map((r) => r.extra!['keptRows'])).toEqual([256, expect.any(Number), expect.any(Number)]);
    // A batch of 2 reads the union of its tokens' rows: between 1 − s and 1 − s² of them.
    expect(sparse[2]!.extra!['keptRows']).toBeGreaterThan(0.1 * 256);
    expect(sparse[2]!.extra!['keptRows']).toBeLessThan(0.19 * 256 + 10);
    // The bytes are the rows read: the ideal speedup is dense's bytes over sparse's.
    const dense = records.find((r) => r.variant === 'dense' && r.params['sparsity'] === 90)!;
    expect(sparse[2]!.extra!['idealSpeedup']).toBeCloseTo(dense.bytes / sparse[2]!.bytes, 12);
    expect(sparse[0]!.extra!['relError']).toBe(0);
    expect(sparse[1]!.extra!['relError']).toBeGreaterThan(0);
    expect(sparse[2]!.extra!['relError']).toBeGreaterThan(sparse[1]!.extra!['relError']!);
    // Each GEMV's bound adds its share of the launches of its pass of 4, each waiting for the one before: dense is
    // one dispatch, (4 − 1)/4; sparse at 256 rows splits d_in in two and adds the reduce, (8 − 1)/4.
    for (const record of records) {
      const launches = (record.bound.seconds - Math.max(record.bytes, record.flops) / 1e9) / launchSeconds;
      expect(launches, `${record.variant} at ${record.params['sparsity']}%`).toBeCloseTo(record.variant === 'dense' ? 0.75 : 1.75, 9);
    }
    expect(progress.at(-1)).toBe('6/6 done');
  });
});
