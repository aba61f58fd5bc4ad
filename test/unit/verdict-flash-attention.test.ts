// The FlashAttention lab's verdict on hand-made records: the bytes each kernel moved as a true comparison (the tiled
// kernel moves more than the naive one at some shapes: "1.46× as many", never "0.7× fewer"), rates in a unit their
// size calls for (never "0.0000601 TFLOP/s"), why the naive kernel won where it did, and the tensor-core kernel of
// the same run.
import { describe, expect, it } from 'vitest';
import { flashAttention } from '../../src/labs/flash-attention';
import type { RunRecord } from '../../src/schemas/results';

const BLOCKS = { blockRows: 64, blockKeys: 64, workgroupBytes: 12288, workgroupLimitBytes: 49152, paperBlockKeys: 24, paperBlockRows: 24 };

/** A record at N with its time (10th, median, 90th percentile), FLOPs, the bytes the kernel moved and its bound. */
function record(
  variant: string,
  seqLen: number,
  [p10, median, p90]: number[],
  { flops, bytesMoved, gflops, fraction = 0.2, limitedBy = 'compute' as const, dtype = 'f32' }: { flops: number; bytesMoved: number; gflops: number; fraction?: number; limitedBy?: 'compute' | 'bandwidth'; dtype?: string },
): RunRecord {
  return {
    lab: 'flash-attention',
    variant,
    params: { seqLen, batch: 1, heads: 8, headDim: 128, causal: 'none', dtype },
    seconds: { median: median!, p10: p10!, p90: p90!, n: 20 },
    timing: 'timestamp',
    flops,
    bytes: 4 * 4 * seqLen * 8 * 128,
    achieved: { gbps: 1, gflops },
    bound: { seconds: median! * fraction, limitedBy },
    fractionOfBound: fraction,
    check: { maxRelError: 1e-6, ok: true },
    extra: variant === 'naive' ? { bytesMoved } : { bytesMoved, ...BLOCKS },
  };
}

/** As the H200 ran it (4 Dec): both f32 kernels bound by their FLOPs, the tiled one slower and moving more bytes. */
const h200 = [
  record('naive', 4096, [2.6534e-3, 2.6562e-3, 2.6593e-3], { flops: 68719476736, bytesMoved: 2214592512, gflops: 25871.27 }),
  record('tiled', 4096, [4.9278e-3, 5.0071e-3, 5.0365e-3], { flops: 68719476736, bytesMoved: 3238002688, gflops: 13724.31 }),
  record('tiled, tensor cores', 4096, [3.3564e-3, 3.3661e-3, 3.3711e-3], { flops: 68719476736, bytesMoved: 1090519040, gflops: 20415.38, fraction: 0.0318, dtype: 'f16' }),
];

describe('the FlashAttention verdict', () => {
  it('the bytes moved as they are: the tiled kernel moved 1.46× as many, and why the naive one won', () => {
    const sentence = flashAttention.verdict!(h200, 'the NVIDIA H200')!;
    // 2.6562 / 5.0071 = 0.530; 3238002688 / 2214592512 = 1.462.
    expect(sentence).toMatch(
      /^At N=4096 the NVIDIA H200 ran the tiled kernel 0\.530× as fast as the naive one \(13\.7 TFLOP\/s against 25\.9 TFLOP\/s\), moving 1\.46× as many bytes \(3\.24 GB against 2\.21 GB\)\. /,
    );
    expect(sentence).not.toContain('fewer bytes');
    expect(sentence).toContain(
      "The paper's gain is memory traffic saved, and there was none to gain here: both kernels are bound by their arithmetic (their bounds are set by their FLOPs, not their bytes), " +
        "and the tiled one moved more bytes, not fewer: it reads K and V once for every block of 64 query rows, and that block's queries again for every 64 keys.",
    );
    // The f16 records are of the same run: their precision is not what tells runs apart.
    expect(sentence).toContain('On the tensor cores in f16, at N=4096: 20.4 TFLOP/s, 3.2% of their measured ceiling.');
    expect(sentence).toContain(
      'The paper measured 7.3 ms against 41.7 ms for standard attention, 5.71× as fast (GPT-2 medium on an A100, sequence 1024, forward and backward; Dao et al., Figure 2 (left), arXiv 2205.14135 v2).',
    );
    expect(sentence).toMatch(/Its blocks: 64 query rows by 64 keys in 12\.0 KiB of this device's 48\.0 KiB of workgroup memory; .* gives 24 keys by 24 rows at d = 128\.$/);
  });

  it('the tensor-core kernel against the rate WebGPU feeds the matrix units, where the run measured it', () => {
    const ceilings = { copyGBps: 4238, fp32Gflops: 64500, f16MatrixGflops: 642463, f16MatrixFedGflops: 80600 };
    // 20.4 / 80.6 = 0.253.
    expect(flashAttention.verdict!(h200, 'the NVIDIA H200', { ceilings })).toContain(
      'On the tensor cores in f16, at N=4096: 20.4 TFLOP/s, 3.2% of their measured ceiling and 25% of the 80.6 TFLOP/s at which WebGPU feeds the matrix units from workgroup memory.',
    );
    // Not measured in that run (older ceilings): the sentence as before.
    expect(flashAttention.verdict!(h200, 'the NVIDIA H200', { ceilings: { ...ceilings, f16MatrixFedGflops: undefined } })).toContain(
      'On the tensor cores in f16, at N=4096: 20.4 TFLOP/s, 3.2% of their measured ceiling.',
    );
  });

  it('fewer bytes worded as fewer, and no excuse where the tiled kernel won', () => {
    const run = [
      record('naive', 16384, [40e-3, 41e-3, 42e-3], { flops: 1.1e12, bytesMoved: 2e9, gflops: 26800 }),
      record('tiled', 16384, [20e-3, 20.5e-3, 21e-3], { flops: 1.1e12, bytesMoved: 1e9, gflops: 53600 }),
    ];
    const sentence = flashAttention.verdict!(run, 'your GPU')!;
    expect(sentence).toContain('ran the tiled kernel 2.00× as fast as the naive one (53.6 TFLOP/s against 26.8 TFLOP/s), moving 2.00× fewer bytes (1.00 GB against 2.00 GB).');
    expect(sentence).not.toContain("The paper's gain");
  });

  it('the quick run on a software adapter: rates in MFLOP/s, and the times said not to be the device\'s', () => {
    const quick = [37, 130].flatMap((n) => [
      record('naive', n, [0.3, 0.35, 0.4].map((s) => (s * n) / 130), { flops: 4 * n * n * 64, bytesMoved: 500000 * (n / 130) ** 2, gflops: 0.0801 }),
      record('tiled', n, [0.42, 0.47, 0.52].map((s) => (s * n) / 130), { flops: 4 * n * n * 64, bytesMoved: 700000 * (n / 130) ** 2, gflops: 0.0601 }),
    ]);
    const sentence = flashAttention.verdict!(quick, 'your GPU', { software: true })!;
    expect(sentence).toMatch(/^At N=130 your GPU ran the tiled kernel 0\.745× as fast as the naive one \(60\.1 MFLOP\/s against 80\.1 MFLOP\/s\), moving 1\.40× as many bytes \(700 kB against 500 kB\)\. /);
    expect(sentence).not.toMatch(/0\.0000\d+ TFLOP\/s/);
    // On a software adapter, the caveats say why instead of the bounds.
    expect(sentence).not.toContain("The paper's gain");
    expect(sentence).toContain('A software adapter ran this');
    // 4 · 130² · 64 = 4.33 MFLOP.
    expect(sentence).toContain('These sizes are tiny (at most 4.33 MFLOP and');
  });

  it('where the naive kernel did not fit: the tiled kernel alone', () => {
    const run = [h200[0]!, h200[1]!, record('tiled', 65536, [1.2, 1.25, 1.3], { flops: 1.76e13, bytesMoved: 8e11, gflops: 14080 })];
    const sentence = flashAttention.verdict!(run, 'your GPU')!;
    expect(sentence).toMatch(/^At N=4096 your GPU ran the tiled kernel 0\.530× as fast/);
    expect(sentence).toContain("The naive kernel's N×N scores did not fit beyond N=4096; the tiled kernel went on to N=65536.");
    expect(flashAttention.verdict!([], 'your GPU')).toBeNull();
  });
});
