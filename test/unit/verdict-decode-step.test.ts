// The decode-step lab's verdict on hand-made records: a sentence that starts with a capital, times in the unit their
// size calls for (never "41998 µs"), and the tiny model's run said not to be the device's speed.
import { describe, expect, it } from 'vitest';
import { decodeStep } from '../../src/labs/decode-step';
import type { RunRecord } from '../../src/schemas/results';

function record(variant: string, params: RunRecord['params'], median: number, flops: number, bytes: number, extra: Record<string, number>): RunRecord {
  return {
    lab: 'decode-step',
    variant,
    params,
    seconds: { median, p10: median * 0.98, p90: median * 1.02, n: 20 },
    timing: 'timestamp',
    flops,
    bytes,
    achieved: { gbps: bytes / median / 1e9, gflops: flops / median / 1e9 },
    bound: { seconds: median / 2, limitedBy: 'bandwidth' },
    fractionOfBound: 0.5,
    check: { maxRelError: 1e-3, ok: true },
    extra,
  };
}

describe('the decode-step verdict', () => {
  it('the tiny model on a software adapter: a capital first, 42.00 ms and not 41998 µs', () => {
    const params = { model: 'tiny', batch: 2, context: 37, weights: 'f16', kv: 'f16' };
    // A step: 4 layers × 41.998 ms + 12.3 ms = 180.292 ms, so 2 / 0.180292 = 11.09 tokens a second; its speed of
    // light: 4 × 21 µs + 9 µs = 93 µs, 2 / 93e-6 = 21505 tokens a second, 93e-6 / 0.180292 = 0.0516% of it.
    const records = [
      record('layer', params, 0.041998, 2.9e6, 1.5e6, { layersChained: 4, idealSeconds: 21e-6 }),
      record('output head', params, 0.0123, 1.05e6, 0.53e6, { layers: 4, stepSeconds: 0.180292, tokensPerSecond: 2 / 0.180292, speedOfLightTokensPerSecond: 2 / 93e-6, fractionOfSpeedOfLight: 93e-6 / 0.180292 }),
    ];
    const sentence = decodeStep.verdict!(records, 'your GPU', { software: true })!;
    expect(sentence).toMatch(/^[A-Z]/);
    expect(sentence).toContain(
      'At a context of 37 tokens your GPU ran decode steps of a tiny Llama-shaped model at 11.1 tokens a second (2 sequences, f16 weights): ' +
        '0.052% of its speed of light here, 21505 tokens a second. One of its 4 layers took 42.00 ms (its speed of light: 21.0 µs), the output head 12.30 ms.',
    );
    expect(sentence).not.toMatch(/\d{4,} µs/);
    expect(sentence).toContain('A software adapter ran this');
    expect(sentence).toContain('These sizes are tiny');
  });

  it('a real model on a GPU: its name, one sequence, no caveats', () => {
    const params = { model: 'llama-3-8b', batch: 1, context: 4096, weights: 'f16', kv: 'f16' };
    const records = [
      record('layer', { ...params, context: 1024 }, 0.15e-3, 4.4e8, 4.4e8, { layersChained: 1, idealSeconds: 0.12e-3 }),
      record('layer', params, 0.16e-3, 4.5e8, 4.6e8, { layersChained: 1, idealSeconds: 0.13e-3 }),
      record('output head', params, 0.35e-3, 1.05e9, 1.05e9, { layers: 32, stepSeconds: 5.47e-3, tokensPerSecond: 182.8, speedOfLightTokensPerSecond: 226.1, fractionOfSpeedOfLight: 0.8085 }),
    ];
    expect(decodeStep.verdict!(records, 'the NVIDIA H200')).toBe(
      'At a context of 4096 tokens the NVIDIA H200 ran decode steps of Llama-3-8B at 183 tokens a second (1 sequence, f16 weights): 81% of its speed of light here, ' +
        '226 tokens a second. One of its 32 layers took 160.0 µs (its speed of light: 130.0 µs), the output head 350.0 µs.',
    );
    expect(decodeStep.verdict!(records.slice(0, 2), 'your GPU')).toBeNull();
  });
});
