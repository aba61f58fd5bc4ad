// The LoRA lab's verdict on hand-made records: "no added latency" judged one-sided with the run's own spread (a
// merged layer faster than the frozen one holds the claim), and a word on why x(AB) came out cheaper than the fused
// adapter when it did. The first case is the quick run the issue quotes (SwiftShader: merged 0.92×, fused +252%,
// x(AB) +119%).
import { describe, expect, it } from 'vitest';
import { lora } from '../../src/labs/lora';
import type { RunRecord } from '../../src/schemas/results';

/** A record at T tokens of a dIn × dOut layer, rank r, timed at `median` with its 10th and 90th percentiles. */
function record(variant: string, dims: { tokens: number; dIn: number; dOut: number; rank: number }, [p10, median, p90]: number[], flops: number, bytes: number, fractionOfBound = 0.5): RunRecord {
  return {
    lab: 'lora',
    variant,
    params: { ...dims, dtype: 'f32', kernel: 'tiled' },
    seconds: { median: median!, p10: p10!, p90: p90!, n: 20 },
    timing: 'timestamp',
    flops,
    bytes,
    achieved: { gbps: bytes / median! / 1e9, gflops: flops / median! / 1e9 },
    bound: { seconds: median! * fractionOfBound, limitedBy: 'compute' },
    fractionOfBound,
    check: { maxRelError: 1e-6, ok: true },
  };
}

const quick = { tokens: 37, dIn: 72, dOut: 40, rank: 4 };
const µs = (...values: number[]) => values.map((value) => value * 1e-6);
/** The quick preset's records: FLOPs and bytes from the lab's cost model, times as SwiftShader gave them. */
const quickRun = [
  record('base', { ...quick, tokens: 1 }, µs(20, 21, 22), 5760, 11968),
  record('base', quick, µs(43, 45, 48), 213120, 28096),
  record('fused', quick, µs(150, 158.4, 166), 246272, 41728),
  record('x(AB)', quick, µs(94, 98.55, 103), 449280, 63584),
  record('merged', quick, µs(40, 41.4, 44), 213120, 28096),
  record('base', { ...quick, rank: 12 }, µs(43, 45, 48), 213120, 28096),
];

describe('the LoRA verdict', () => {
  it('the quick run on a software adapter: merged at 0.92× is no added latency; why x(AB) came out cheaper; the numbers are not the device\'s', () => {
    const sentence = lora.verdict!(quickRun, 'your GPU', { software: true })!;
    expect(sentence).toContain(
      "With T=37 tokens, a 72×40 layer and rank 4 in f32, your GPU ran the layer with the adapter merged into its weight in 0.920× the frozen layer's time, " +
        'within this run\'s spread (10th to 90th percentile: 40.0 µs to 44.0 µs merged, 43.0 µs to 48.0 µs frozen): no added latency, as the paper claims ' +
        '(Hu et al. measured 19.8 ms merged against 23.9 ms with adapter layers; GPT-2 medium, batch 1, 128 tokens; Table 1, arXiv 2106.09685 v2).',
    );
    expect(sentence).not.toContain("not the paper's");
    // 158.4 / 45 = 3.52 and 98.55 / 45 = 2.19; FLOPs 246272 / 213120 = 1.156 and 449280 / 213120 = 2.108.
    expect(sentence).toContain('the fused adapter cost +252% over the frozen layer (its FLOPs +16%), and the same adapter multiplied as x(AB) +119% (its FLOPs +111%).');
    // 449280 / 246272 = 1.82.
    expect(sentence).toContain(
      'The order x(AB), with 1.82× the fused adapter\'s FLOPs, came out cheaper because at these sizes the frozen layer is 213 kFLOP, done in 45.0 µs, ' +
        'and a software adapter runs every dispatch on the CPU:',
    );
    expect(sentence).toContain('A software adapter ran this');
    expect(sentence).toContain('These sizes are tiny (at most 449 kFLOP and 63.6 kB a run)');
  });

  it('a merged layer faster than the frozen one beyond the spread is no added latency, never "not the paper\'s"', () => {
    const run = [record('base', quick, µs(44, 45, 46), 213120, 28096), ...quickRun.slice(2, 4), record('merged', quick, µs(40.5, 41.4, 42), 213120, 28096)];
    const sentence = lora.verdict!(run, 'your GPU')!;
    expect(sentence).toContain("in 0.920× the frozen layer's time, faster than it: no added latency, as the paper claims");
    expect(sentence).not.toContain("not the paper's");
    // No software adapter named: only the sizes explain the order.
    expect(sentence).toContain('came out cheaper because at these sizes the frozen layer is 213 kFLOP, done in 45.0 µs: ');
    expect(sentence).not.toContain('software adapter');
  });

  const large = { tokens: 4096, dIn: 4096, dOut: 4096, rank: 16 };
  const ms = (...values: number[]) => values.map((value) => value * 1e-3);

  it('a merged layer slower beyond the spread is not the claim in this run, and says the gap is the device\'s: it is the same product', () => {
    const run = [
      record('base', large, ms(3.95, 3.953, 3.959), 137438953472, 201326592),
      record('fused', large, ms(4.11, 4.117, 4.123), 138512695296, 269484032),
      record('x(AB)', large, ms(8.05, 8.055, 8.064), 275414777856, 403177472),
      record('merged', large, ms(5.7, 5.771, 5.8), 137438953472, 201326592),
    ];
    const sentence = lora.verdict!(run, 'the NVIDIA H200')!;
    // 5.771 / 3.953 = 1.46.
    expect(sentence).toContain(
      "in 1.46× the frozen layer's time, slower beyond this run's spread (10th to 90th percentile: 5.70 ms to 5.80 ms merged, 3.95 ms to 3.96 ms frozen): " +
        'not the paper\'s "no added latency" in this run',
    );
    expect(sentence).toContain("does the frozen layer's very product (the same FLOPs and bytes), so the gap is the device varying between the two timings");
    // The order as the FLOPs have it: no explanation, and nothing about tiny sizes.
    expect(sentence).toContain('the fused adapter cost +4.1% over the frozen layer (its FLOPs +0.8%), and the same adapter multiplied as x(AB) +104% (its FLOPs +100%).');
    expect(sentence).not.toContain('came out cheaper');
    expect(sentence).not.toContain('tiny');
  });

  it('x(AB) cheaper at full sizes on a GPU: how close each came to its bound', () => {
    const run = [
      record('base', large, ms(3.95, 3.953, 3.959), 137438953472, 201326592),
      record('fused', large, ms(9.9, 10, 10.1), 138512695296, 269484032, 0.2),
      record('x(AB)', large, ms(8.05, 8.055, 8.064), 275414777856, 403177472, 0.53),
      record('merged', large, ms(3.95, 3.954, 3.959), 137438953472, 201326592),
    ];
    expect(lora.verdict!(run, 'your GPU')).toContain(
      "The order x(AB), with 1.99× the fused adapter's FLOPs, came out cheaper: it ran at 53% of its bound and the fused adapter at 20%, so the fused adapter's steps used this device less well.",
    );
  });

  it('in f16, the frozen layer against the rate WebGPU feeds the matrix units, where the run measured it; never in f32', () => {
    const f16 = (r: RunRecord) => ({ ...r, params: { ...r.params, dtype: 'f16', kernel: 'matrix' } });
    // An H100's f16 run: the frozen layer's 137 GFLOP in 2.30 ms, 59.8 TFLOP/s.
    const run = [
      record('base', large, ms(2.29, 2.3, 2.31), 137438953472, 100663296, 0.09),
      record('fused', large, ms(2.39, 2.4, 2.41), 138512695296, 134742016, 0.09),
      record('x(AB)', large, ms(4.59, 4.6, 4.61), 275414777856, 201588736, 0.09),
      record('merged', large, ms(2.29, 2.3, 2.31), 137438953472, 100663296, 0.09),
    ];
    const ceilings = { copyGBps: 3000, fp32Gflops: 64500, f16MatrixGflops: 655000, f16MatrixFedGflops: 80600 };
    // 59.76 / 80.6 = 0.741.
    const said = 'On the matrix units the frozen layer ran at 59.8 TFLOP/s, 74% of the 80.6 TFLOP/s at which WebGPU feeds the matrix units from workgroup memory.';
    expect(lora.verdict!(run.map(f16), 'your GPU', { ceilings })).toContain(said);
    expect(lora.verdict!(run.map(f16), 'your GPU', { ceilings: { ...ceilings, f16MatrixFedGflops: undefined } })).not.toContain('feeds the matrix units');
    expect(lora.verdict!(run, 'your GPU', { ceilings })).not.toContain('feeds the matrix units');
  });

  it('says nothing without the four variants at one point', () => {
    expect(lora.verdict!(quickRun.filter((r) => r.variant !== 'merged'), 'your GPU')).toBeNull();
  });
});
