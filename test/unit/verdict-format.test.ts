// The one formatter set every verdict uses (units chosen by magnitude), and what the verdicts share: one-sided
// comparisons with a run's own spread, ratios worded either way, and the sentences that say when a run's times are
// not the device's speed. Expectations are worked by hand from the inputs.
import { describe, expect, it } from 'vitest';
import { formatBandwidth, formatBytes, formatFlopRate, formatFlops, formatPercent, formatRatio, formatSeconds } from '../../src/labs/format';
import { asMany, caveats, isTiny, timeAgainst, withCaveats } from '../../src/labs/verdict';
import type { RunRecord } from '../../src/schemas/results';

function record(median: number, p10: number, p90: number, flops = 1e12, bytes = 1e9): RunRecord {
  return {
    lab: 'x',
    variant: 'v',
    params: {},
    seconds: { median, p10, p90, n: 20 },
    timing: 'timestamp',
    flops,
    bytes,
    achieved: { gbps: bytes / median / 1e9, gflops: flops / median / 1e9 },
    bound: { seconds: median / 2, limitedBy: 'compute' },
    fractionOfBound: 0.5,
    check: { maxRelError: 0, ok: true },
  };
}

describe('formatters: units by magnitude', () => {
  it('times: never "41998 µs" or "3730.74 s"', () => {
    expect(formatSeconds(0.041998)).toBe('42.00 ms');
    expect(formatSeconds(3730.74)).toBe('1.04 h');
    expect(formatSeconds(1500)).toBe('25.0 min');
    expect(formatSeconds(2 * 3600 + 360)).toBe('2.10 h');
    expect(formatSeconds(90)).toBe('1.50 min');
    expect(formatSeconds(5e-7)).toBe('500 ns');
    // Rounding up into the next unit: 999.6 µs is a millisecond, not "1000.0 µs".
    expect(formatSeconds(999.6e-6)).toBe('1.00 ms');
    // What the tables and plot ticks showed before stays: two decimals from a millisecond, one below.
    expect(formatSeconds(26.9e-6)).toBe('26.9 µs');
    expect(formatSeconds(1e-6)).toBe('1.0 µs');
    expect(formatSeconds(2)).toBe('2.00 s');
  });

  it('rates, bytes and FLOPs: never "0.0000601 TFLOP/s"', () => {
    expect(formatFlopRate(0.0000601e12)).toBe('60.1 MFLOP/s');
    expect(formatFlopRate(13.7243e12)).toBe('13.7 TFLOP/s');
    expect(formatFlopRate(999.7e9)).toBe('1.00 TFLOP/s');
    expect(formatBandwidth(1.26e9)).toBe('1.26 GB/s');
    expect(formatBandwidth(3000.08e9)).toBe('3.00 TB/s');
    expect(formatBytes(3238002688)).toBe('3.24 GB');
    expect(formatBytes(63584)).toBe('63.6 kB');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(49152, true)).toBe('48.0 KiB');
    expect(formatFlops(213120)).toBe('213 kFLOP');
    expect(formatFlops(1.37e11)).toBe('137 GFLOP');
  });

  it('ratios and shares', () => {
    expect(formatRatio(0.530485)).toBe('0.530×');
    expect(formatRatio(1.68)).toBe('1.68×');
    expect(formatRatio(18)).toBe('18.0×');
    expect(formatRatio(1234.4)).toBe('1234×');
    expect(formatPercent(0.54)).toBe('54%');
    expect(formatPercent(1.95)).toBe('195%');
    expect(formatPercent(0.0318)).toBe('3.2%');
    expect(formatPercent(0.000267)).toBe('0.027%');
  });
});

describe('what the verdicts share', () => {
  it('judges one time against another with the run\'s own spread', () => {
    const base = record(100e-6, 95e-6, 105e-6);
    // 0.92× the base's median, but its 90th percentile is above the base's 10th: within the spread.
    expect(timeAgainst(record(92e-6, 88e-6, 96e-6), base)).toBe('within');
    expect(timeAgainst(record(92e-6, 90e-6, 94e-6), base)).toBe('faster');
    expect(timeAgainst(record(146e-6, 140e-6, 150e-6), base)).toBe('slower');
    expect(timeAgainst(record(104e-6, 96e-6, 110e-6), base)).toBe('within');
  });

  it('words a ratio of amounts so that it is never "0.7× fewer"', () => {
    expect(asMany(3238002688 / 2214592512, 'bytes')).toBe('1.46× as many bytes');
    expect(asMany(0.25, 'bytes')).toBe('4.00× fewer bytes');
  });

  it('says when the times are not the device\'s speed: a software adapter, tiny sizes, or both', () => {
    const tiny = [record(45e-6, 43e-6, 48e-6, 213120, 28096), record(99e-6, 95e-6, 103e-6, 449280, 63584)];
    const large = [...tiny, record(4e-3, 3.9e-3, 4.1e-3, 1.37e11, 2.01e8)];
    expect(isTiny(tiny)).toBe(true);
    expect(isTiny(large)).toBe(false);
    expect(isTiny([])).toBe(false);
    expect(caveats(large)).toEqual([]);
    expect(caveats(tiny)).toEqual([
      "These sizes are tiny (at most 449 kFLOP and 63.6 kB a run): a GPU does such work in microseconds, about what launching it costs, so the times are not this device's speed; the lab's default sizes measure that.",
    ]);
    expect(caveats(large, { software: true })).toEqual([
      "A software adapter ran this (the GPU emulated on the CPU): the results were checked, but the times are the CPU's, not a GPU's.",
    ]);
    expect(caveats(tiny, { software: true })).toHaveLength(2);
    expect(withCaveats(['One.', 'Two.'], large)).toBe('One. Two.');
  });
});
