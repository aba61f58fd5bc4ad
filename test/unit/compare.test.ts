// Matching two devices' records point by point, and reading a results file from anyone.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareFiles, matchKey, MAX_FILE_BYTES, readResultsFile, recordProblem } from '../../src/lib/compare';
import type { RunRecord } from '../../src/schemas/results';

const h100 = JSON.parse(readFileSync('src/data/reference/h100.json', 'utf8'));
const h200 = JSON.parse(readFileSync('src/data/reference/h200.json', 'utf8'));

const record = (lab: string, variant: string, params: RunRecord['params'], median: number) =>
  ({ lab, variant, params, seconds: { median, p10: median, p90: median, n: 3 } }) as RunRecord;

describe('comparing two results files', () => {
  it('matches on lab, variant and every parameter, whatever their order', () => {
    expect(matchKey(record('teal', 'dense', { dIn: 4096, dOut: 11008 }, 1))).toBe(matchKey(record('teal', 'dense', { dOut: 11008, dIn: 4096 }, 2)));
    expect(matchKey(record('teal', 'dense', { dIn: 4096 }, 1))).not.toBe(matchKey(record('teal', 'sparse', { dIn: 4096 }, 1)));
    const a = { records: [record('gqa', 'MHA', { seqLen: 8192 }, 2e-3), record('gqa', 'MQA', { seqLen: 8192 }, 1e-3), record('teal', 'dense', {}, 1)] };
    const b = { records: [record('gqa', 'MHA', { seqLen: 8192 }, 1e-3), record('gqa', 'GQA-8', { seqLen: 8192 }, 1e-3)] };
    const comparison = compareFiles(a, b);
    expect(comparison.matched.map((pair) => [pair.variant, pair.ratio])).toEqual([['MHA', 0.5]]);
    expect(comparison.onlyA.map((r) => r.variant)).toEqual(['MQA', 'dense']);
    expect(comparison.onlyB.map((r) => r.variant)).toEqual(['GQA-8']);
    expect(comparison.labs).toEqual(['gqa', 'teal']);
  });

  it('finds the points the H100 and the H200 share', () => {
    const comparison = compareFiles(h100, h200);
    expect(comparison.matched.length).toBeGreaterThan(0);
    for (const pair of comparison.matched) expect(pair.ratio).toBeCloseTo(pair.b.seconds.median / pair.a.seconds.median, 12);
  });
});

describe('reading a results file from anyone', () => {
  it('takes a good one', () => {
    const read = readResultsFile(JSON.stringify(h200));
    expect('file' in read && read.file.device.name).toBe('NVIDIA H200');
  });
  it('refuses one too large, not JSON, or with a wrong field, naming the field', () => {
    expect(readResultsFile(' '.repeat(MAX_FILE_BYTES + 1))).toMatchObject({ error: expect.stringMatching(/at most 5 MiB/) });
    expect(readResultsFile('<script>alert(1)</script>')).toMatchObject({ error: expect.stringMatching(/not JSON/) });
    const broken = { ...h200, records: [{ ...h200.records[0], seconds: { median: 'fast' } }] };
    expect(readResultsFile(JSON.stringify(broken))).toMatchObject({ error: expect.stringMatching(/^Not a results file: records\.0\.seconds\.median: /) });
  });
  it('keeps markup in a device name as a string, for the page to show as text', () => {
    const hostile = { ...h200, device: { ...h200.device, name: '<img src=x onerror=alert(1)>' } };
    const read = readResultsFile(JSON.stringify(hostile));
    expect('file' in read && read.file.device.name).toBe('<img src=x onerror=alert(1)>');
  });
  it('refuses a record whose rates and fraction of bound are not what its own numbers make, or beyond any device', () => {
    // 1 GB in 1 ms against a bound of 0.5 ms: 1000 GB/s, 50% of the bound.
    const good = { ...h200.records[0], flops: 2e9, bytes: 1e9, seconds: { median: 1e-3, p10: 1e-3, p90: 1e-3, n: 3 }, achieved: { gbps: 1000, gflops: 2000 }, bound: { seconds: 5e-4, limitedBy: 'bandwidth' }, fractionOfBound: 0.5 };
    expect(recordProblem(good)).toBeNull();
    expect(recordProblem({ ...good, fractionOfBound: 1e308 })).toBe('fractionOfBound: expected bound.seconds ÷ seconds.median = 0.5000, received 1.000e+308');
    expect(recordProblem({ ...good, achieved: { gbps: 1e308, gflops: 2000 } })).toMatch(/^achieved\.gbps: expected bytes ÷ seconds\.median ÷ 1e9 = 1000, received/);
    // Every figure 1e308: the rates are 1e308 / 1e308 / 1e9, not 1e308.
    const huge = { ...good, flops: 1e308, bytes: 1e308, seconds: { median: 1e308, p10: 1e308, p90: 1e308, n: 3 }, achieved: { gbps: 1e308, gflops: 1e308 }, bound: { seconds: 1e308, limitedBy: 'bandwidth' }, fractionOfBound: 1e308 };
    expect(recordProblem(huge)).toMatch(/^achieved\.gbps: /);
    // Consistent, and 1e6 times faster than the device's ceilings.
    expect(recordProblem({ ...good, bound: { seconds: 1e3, limitedBy: 'bandwidth' }, fractionOfBound: 1e6 })).toMatch(/^fractionOfBound: expected at most 100 .* received 1\.000e\+6$/);
    expect(readResultsFile(JSON.stringify({ ...h200, records: [good, { ...good, fractionOfBound: 1e308 }] }))).toEqual({
      error: 'Not a results file: records.1.fractionOfBound: expected bound.seconds ÷ seconds.median = 0.5000, received 1.000e+308.',
    });
  });

  it('takes every record of the reference files as consistent', () => {
    for (const file of [h100, h200]) for (const record of file.records) expect(recordProblem(record)).toBeNull();
  });
});
