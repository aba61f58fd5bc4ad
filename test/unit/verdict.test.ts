// The verdicts say a run's result in the paper's terms, computed from the records (never written by hand), and
// pick one run out of a file holding several.
import { describe, expect, it } from 'vitest';
import { gqa } from '../../src/labs/gqa';
import { teal } from '../../src/labs/teal';
import { runsOf } from '../../src/labs/verdict';
import type { RunRecord } from '../../src/schemas/results';

/** A record of `bytes` (a GB unless told: work no GPU does in microseconds, so no verdict calls it tiny). */
function record(variant: string, params: RunRecord['params'], median: number, extra: Record<string, number> = {}, bytes = 1e9): RunRecord {
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
        'TEAL reports 1.8× faster decoding, end to end (Liu et al., abstract, arXiv 2408.14690 v1) for whole models at 50%.',
    );
    // Without a claimed sparsity: the highest, and no paper figure.
    expect(teal.verdict!(records.slice(2), 'your GPU')).toMatch(/^At 90% sparsity your GPU ran the sparse GEMV 4\.30× .* the ideal is 9\.96×\.$/);
    expect(teal.verdict!([], 'your GPU')).toBeNull();
  });

  it('GQA: the grouped variant against MHA at the longest context of a run that has both', () => {
    const alone = record('GQA-8', { kvHeads: 8, seqLen: 4096, batch: 1 }, 1);
    const run = [
      record('MHA', { kvHeads: 32, seqLen: 1024, batch: 8 }, 1, {}, 4e8),
      record('MHA', { kvHeads: 32, seqLen: 8192, batch: 8 }, 4, {}, 32e8),
      record('GQA-8', { kvHeads: 8, seqLen: 8192, batch: 8 }, 2, {}, 8e8),
    ];
    expect(gqa.verdict!([alone, ...run], 'your GPU')).toBe(
      "At a context of 8192 tokens your GPU ran GQA-8's decode step 2.00× as fast as MHA's; it reads 4.00× fewer bytes, so 4.00× is the ideal. " +
        'In the paper, whole models took 0.28 s per sample with GQA-8 against 1.51 s with MHA, 5.39× as fast (T5-XXL; Ainslie et al., Table 1, arXiv 2305.13245 v3).',
    );
    expect(gqa.verdict!([alone], 'your GPU')).toBeNull();
  });

  it('TEAL\'s quick run on a software adapter: the same sentence, then why its times are not the device\'s', () => {
    const quick = [0, 50, 90].map((sparsity) => ({ ...record('sparse', { sparsity, dIn: 256, dOut: 384 }, 1, { speedup: 1.1, idealSpeedup: 2 }, 393216), flops: 2 * 256 * 384 }));
    const sentence = teal.verdict!(quick, 'your GPU', { software: true })!;
    expect(sentence).toMatch(/^At 50% sparsity your GPU ran the sparse GEMV 1\.10× as fast as the dense one; .* for whole models at 50%\. A software adapter ran this .* These sizes are tiny \(at most 197 kFLOP and 393 kB a run\)/);
  });

  it('GEMM: rates in the unit their size calls for, never "0.0000601 TFLOP/s"', async () => {
    const { gemm } = await import('../../src/labs/gemm');
    const at = (variant: string, size: number, gflops: number, fractionOfBound: number) => ({
      ...record(variant, { size, kernel: variant }, 1, {}, 3 * 4 * size * size),
      flops: 2 * size ** 3,
      achieved: { gbps: 1, gflops },
      fractionOfBound,
    });
    expect(gemm.verdict!([at('naive', 33, 0.01, 0.5), at('naive', 130, 0.0601, 0.032), at('tiled, f32', 130, 0.09, 0.048)], 'your GPU', { software: true })).toMatch(
      /^At n=130 your GPU ran the naive GEMM at 60\.1 MFLOP\/s, 3\.2% of its bound, and the tiled, f32 GEMM at 90\.0 MFLOP\/s, 4\.8% of its bound\. A software adapter ran this/,
    );
    expect(gemm.verdict!([at('tiled, f32', 4096, 34812, 0.54)], 'the NVIDIA H200')).toBe('At n=4096 the NVIDIA H200 ran the tiled, f32 GEMM at 34.8 TFLOP/s, 54% of its bound.');
  });

  it('GEMM: the matrix-unit version against the rate WebGPU feeds the matrix units, where the run measured it, and only there', async () => {
    const { gemm } = await import('../../src/labs/gemm');
    const at = (variant: string, gflops: number, fractionOfBound: number) => ({
      ...record(variant, { size: 4096, kernel: variant }, 1, {}, 3 * 2 * 4096 * 4096),
      flops: 2 * 4096 ** 3,
      achieved: { gbps: 1, gflops },
      bound: { seconds: fractionOfBound, limitedBy: 'compute' as const },
      fractionOfBound,
    });
    const run = [at('tiled, f32', 34812, 0.54), at('subgroup matrices, f16', 67500, 0.103)];
    const ceilings = { copyGBps: 3000, fp32Gflops: 64500, f16MatrixGflops: 655000, f16MatrixFedGflops: 80600 };
    // 67.5 / 80.6 = 0.837.
    expect(gemm.verdict!(run, 'the NVIDIA H100', { ceilings })).toBe(
      'At n=4096 the NVIDIA H100 ran the tiled, f32 GEMM at 34.8 TFLOP/s, 54% of its bound, and the subgroup matrices, f16 GEMM at 67.5 TFLOP/s, 10% of its bound ' +
        'and 84% of the 80.6 TFLOP/s at which WebGPU feeds the matrix units from workgroup memory.',
    );
    // A run whose ceilings lack the fed rate (measured before it was), or with none known: nothing said of it.
    const older = 'At n=4096 the NVIDIA H100 ran the tiled, f32 GEMM at 34.8 TFLOP/s, 54% of its bound, and the subgroup matrices, f16 GEMM at 67.5 TFLOP/s, 10% of its bound.';
    expect(gemm.verdict!(run, 'the NVIDIA H100', { ceilings: { ...ceilings, f16MatrixFedGflops: undefined } })).toBe(older);
    expect(gemm.verdict!(run, 'the NVIDIA H100')).toBe(older);
  });

  it('the fed rate is said of a kernel bound by its arithmetic, not of one bound by its bytes', async () => {
    const { ofFedRate } = await import('../../src/labs/verdict');
    const ceilings = { copyGBps: 3000, fp32Gflops: 64500, f16MatrixFedGflops: 80600 };
    const computed = { ...record('x', {}, 1), achieved: { gbps: 1, gflops: 40300 }, bound: { seconds: 0.1, limitedBy: 'compute' as const } };
    expect(ofFedRate(computed, { ceilings })).toBe('50% of the 80.6 TFLOP/s at which WebGPU feeds the matrix units from workgroup memory');
    expect(ofFedRate({ ...computed, bound: { seconds: 0.1, limitedBy: 'bandwidth' } }, { ceilings })).toBeNull();
    expect(ofFedRate(computed, { ceilings: { copyGBps: 3000, fp32Gflops: 64500 } })).toBeNull();
  });

  it('the probe: a sentence of the ceilings it measured, each the fastest of its records', async () => {
    const { probe } = await import('../../src/labs/probe');
    const rate = (variant: string, achieved: RunRecord['achieved'], flops = 0) => ({ ...record(variant, {}, 1, {}, flops ? 0 : 536870912), flops, achieved });
    const records = [
      rate('copy', { gbps: 2950, gflops: 0 }),
      rate('copy', { gbps: 3000.08, gflops: 0 }),
      rate('read', { gbps: 3110.1, gflops: 0 }),
      rate('fma fp32', { gbps: 0, gflops: 64478.1 }, 2.7e11),
      rate('matrix f16', { gbps: 0, gflops: 642463.7 }, 1.1e13),
      record('launch', { dispatchesPerPass: 65 }, 1e-4, { launchSeconds: 1.94e-6 }, 133120),
    ];
    expect(probe.verdict!(records, 'your GPU')).toBe(
      "The probe measured your GPU's ceilings: copy 3.00 TB/s, read 3.11 TB/s, FP32 FMA 64.5 TFLOP/s, f16 on the matrix units 642 TFLOP/s and a launch floor of 1.9 µs a dispatch.",
    );
    expect(probe.verdict!([], 'your GPU')).toBeNull();
  });

  it('the probe: the matrix units with operands in registers and fed from workgroup memory, in one part of the sentence', async () => {
    const { probe, matrixUnitsInWords } = await import('../../src/labs/probe');
    const rate = (variant: string, gflops: number) => ({ ...record(variant, {}, 1, {}, 0), flops: 1e12, achieved: { gbps: 0, gflops } });
    const records = [rate('fma fp32', 64478.1), rate('matrix f16', 655012), rate('matrix f16 fed', 80612), rate('matrix f16 fed', 79000)];
    expect(probe.verdict!(records, 'your GPU')).toBe(
      "The probe measured your GPU's ceilings: FP32 FMA 64.5 TFLOP/s and f16 on the matrix units 655 TFLOP/s with operands in registers but 80.6 TFLOP/s fed from workgroup memory through WebGPU.",
    );
    expect(matrixUnitsInWords({ f16MatrixFedGflops: 80612 })).toBe('f16 on the matrix units 80.6 TFLOP/s fed from workgroup memory through WebGPU');
    expect(matrixUnitsInWords({})).toBeNull();
    // Its ceilings carry both rates.
    const { ceilingsOfRecords } = await import('../../src/labs/probe');
    expect(ceilingsOfRecords([rate('copy', 0), { ...rate('copy', 0), bytes: 1e9, achieved: { gbps: 3000, gflops: 0 } }, ...records])).toMatchObject({
      fp32Gflops: 64478.1,
      f16MatrixGflops: 655012,
      f16MatrixFedGflops: 80612,
    });
  });
});

describe('the records table', () => {
  it('shows key columns in the reader\'s words and folds the rest', async () => {
    const { recordTable } = await import('../../src/labs/table');
    const sparse = { ...record('sparse', { dIn: 4096, sparsity: 50 }, 26.9e-6, { speedup: 1.68 }, 90e6), achieved: { gbps: 3355, gflops: 1676 } };
    const table = recordTable([sparse], teal);
    expect(table.head).toEqual(['Variant', 'Point', 'Time', 'Achieved', 'Of bound', 'Check']);
    expect(table.rows[0]).toEqual(['sparse', 'd_in (input channels) 4096, Sparsity 50 %', '26.9 µs', '3.35 TB/s', '100%', 'ok (error 0.0e+0)']);
    expect(table.more[0]).toContainEqual(['Speedup over dense (×)', '1.68']);
    expect(table.ok).toEqual([true]);
    // Several rows: the point names what changes; what they share is folded.
    const two = recordTable([sparse, { ...sparse, params: { dIn: 4096, sparsity: 90 } }], teal);
    expect(two.rows.map((row) => row[1])).toEqual(['Sparsity 50 %', 'Sparsity 90 %']);
    expect(two.more[1]).toContainEqual(['d_in (input channels)', '4096']);
  });
  it('names a record\'s parameters beyond the lab\'s settings by the lab\'s figures, never by their key', async () => {
    const { recordTable } = await import('../../src/labs/table');
    const { gemm } = await import('../../src/labs/gemm');
    const tiled = record('tiled, f32', { size: 1024, kernel: 'tiled' }, 80e-6, {}, 8e6);
    expect(recordTable([tiled], gemm).rows[0]![1]).toBe('Sizes (n) 1024, Kernel tiled');
  });
});
