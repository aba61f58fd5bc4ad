// The verdicts say a run's result in the paper's terms, computed from the records (never written by hand), and
// pick one run out of a file holding several.
import { describe, expect, it } from 'vitest';
import { gqa } from '../../src/labs/gqa';
import { teal } from '../../src/labs/teal';
import { runsOf } from '../../src/labs/verdict';
import type { RunRecord } from '../../src/schemas/results';

function record(variant: string, params: RunRecord['params'], median: number, extra: Record<string, number> = {}, bytes = 1): RunRecord {
  return {
    lab: 'x',
    variant,
    params,
    seconds: { median, p10: median, p90: median, n: 3 },
    timing: 'timestamp',
    flops: 1,
    bytes,
    achieved: { gbps: 1, gflops: 1 },
    bound: { seconds: median, limitedBy: 'bandwidth' },
    fractionOfBound: 1,
    check: { maxRelError: 0, ok: true },
    extra,
  };
}

describe('verdicts', () => {
  it('groups records by run, the swept parameters aside', () => {
    const a = record('sparse', { sparsity: 0, dIn: 8 }, 1);
    const b = record('sparse', { sparsity: 50, dIn: 8 }, 1);
    const c = record('sparse', { sparsity: 50, dIn: 16 }, 1);
    expect(runsOf([a, b, c], ['sparsity'])).toEqual([[a, b], [c]]);
  });

  it('TEAL: the speedup at the claimed sparsity, the ideal and the paper\'s figure', () => {
    const records = [
      record('sparse', { sparsity: 40, dIn: 8 }, 1, { speedup: 1.42, idealSpeedup: 1.67 }),
      record('sparse', { sparsity: 50, dIn: 8 }, 1, { speedup: 1.68, idealSpeedup: 2 }),
      record('sparse', { sparsity: 90, dIn: 8 }, 1, { speedup: 4.3, idealSpeedup: 9.96 }),
    ];
    expect(teal.verdict!(records, 'your GPU')).toBe(
      'At 50% sparsity your GPU ran the sparse GEMV 1.68× as fast as the dense one; reading only the kept rows, the ideal is 2.00×. ' +
        'TEAL reports 1.8× faster decoding, end to end (Liu et al., abstract, arXiv 2408.14690) for whole models at 50%.',
    );
    // Without a claimed sparsity: the highest, and no paper figure.
    expect(teal.verdict!(records.slice(2), 'your GPU')).toMatch(/^At 90% sparsity your GPU ran the sparse GEMV 4\.30× .* the ideal is 9\.96×\.$/);
    expect(teal.verdict!([], 'your GPU')).toBeNull();
  });

  it('GQA: the grouped variant against MHA at the longest context of a run that has both', () => {
    const alone = record('GQA-8', { kvHeads: 8, seqLen: 4096, batch: 1 }, 1);
    const run = [
      record('MHA', { kvHeads: 32, seqLen: 1024, batch: 8 }, 1, {}, 4),
      record('MHA', { kvHeads: 32, seqLen: 8192, batch: 8 }, 4, {}, 32),
      record('GQA-8', { kvHeads: 8, seqLen: 8192, batch: 8 }, 2, {}, 8),
    ];
    expect(gqa.verdict!([alone, ...run], 'your GPU')).toMatch(
      /^At a context of 8192 tokens your GPU ran GQA-8's decode step 2\.00× as fast as MHA's; it reads 4\.00× fewer bytes, so that is the ideal\. .* 0\.28 s against 1\.51 s .* 5\.4×\.$/,
    );
    expect(gqa.verdict!([alone], 'your GPU')).toBeNull();
  });
});

describe('the records table', () => {
  it('shows key columns in the reader\'s words and folds the rest', async () => {
    const { recordTable } = await import('../../src/labs/table');
    const sparse = { ...record('sparse', { dIn: 4096, sparsity: 50 }, 26.9e-6, { speedup: 1.68 }, 90e6), achieved: { gbps: 3355, gflops: 1676 } };
    const table = recordTable([sparse], teal);
    expect(table.head).toEqual(['Variant', 'Point', 'Time', 'Achieved', 'Of bound', 'Check']);
    expect(table.rows[0]).toEqual(['sparse', 'd_in (input channels) 4096, Sparsity sweep 50 %', '26.9 µs', '3355 GB/s', '100%', 'ok (error 0.0e+0)']);
    expect(table.more[0]).toContainEqual(['Speedup over dense (×)', '1.68']);
    expect(table.ok).toEqual([true]);
    // Several rows: the point names what changes; what they share is folded.
    const two = recordTable([sparse, { ...sparse, params: { dIn: 4096, sparsity: 90 } }], teal);
    expect(two.rows.map((row) => row[1])).toEqual(['Sparsity sweep 50 %', 'Sparsity sweep 90 %']);
    expect(two.more[1]).toContainEqual(['d_in (input channels)', '4096']);
  });
  it('names a record\'s parameters beyond the lab\'s settings by the lab\'s figures, never by their key', async () => {
    const { recordTable } = await import('../../src/labs/table');
    const { gemm } = await import('../../src/labs/gemm');
    const tiled = record('tiled, f32', { size: 1024, kernel: 'tiled' }, 80e-6, {}, 8e6);
    expect(recordTable([tiled], gemm).rows[0]![1]).toBe('Sizes (n) 1024, Kernel tiled');
  });
});
