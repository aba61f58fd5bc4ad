// The lab plots' pieces: series names, the reference lines drawn, tick labels, units by magnitude, scales, margins.
import { describe, expect, it } from 'vitest';
import {
  formatTick,
  layoutOf,
  marginLeftFor,
  multipleOf,
  plotted,
  referenceRecords,
  rooflineRows,
  scaleOf,
  seriesNames,
  shortName,
  textWidth,
} from '../../src/components/lab/plots';
import type { PlotSpec } from '../../src/labs/types';
import type { RunRecord } from '../../src/schemas/results';

const spec: PlotSpec = { id: 't', title: 't', x: { field: 'params.seqLen', label: 'S' }, y: { field: 'seconds.median', label: 's' } };
const record = (variant: string, params: RunRecord['params']) => ({ variant, params }) as RunRecord;

describe('seriesNames', () => {
  it('is the variant when only the x parameter changes', () => {
    expect(seriesNames([record('MHA', { seqLen: 1024, batch: 1 }), record('MHA', { seqLen: 2048, batch: 1 })], spec)).toEqual(['MHA', 'MHA']);
  });

  it('adds the parameters that vary within a variant', () => {
    const names = seriesNames(
      [record('MHA', { seqLen: 1024, batch: 1, dtype: 'f32' }), record('MHA', { seqLen: 8192, batch: 8, dtype: 'f32' }), record('MQA', { seqLen: 1024, batch: 1, dtype: 'f32' })],
      spec,
    );
    expect(names).toEqual(['MHA batch=1', 'MHA batch=8', 'MQA']);
  });

  it('leaves out the parameter the panels show, and uses the plot\'s names for its series', () => {
    const faceted = { ...spec, facet: { field: 'params.rank', label: 'r' }, names: { head: 'a whole step' } };
    expect(seriesNames([record('head', { seqLen: 1, rank: 4 }), record('head', { seqLen: 1, rank: 12 })], faceted)).toEqual(['a whole step', 'a whole step']);
  });
});

describe('plotted', () => {
  const records = [record('dense', { seqLen: 1 }), record('sparse', { seqLen: 1 }), record('sparse', { seqLen: 2 })];

  it('keeps every record when the plot names no variants', () => {
    expect(plotted(records, spec)).toEqual(records);
  });

  it('keeps only the variants a plot names', () => {
    expect(plotted(records, { ...spec, variants: ['sparse'] }).map((r) => r.variant)).toEqual(['sparse', 'sparse']);
  });
});

describe('referenceRecords: one line a variant and device', () => {
  // A reference GPU's TEAL-like sweep: f32 at three sizes, f16 at two, and one f32 point at another shape.
  const reference = [
    ...[1024, 2048, 4096].map((seqLen) => record('dense', { seqLen, dtype: 'f32', dIn: 4096 })),
    ...[1024, 4096].map((seqLen) => record('dense', { seqLen, dtype: 'f16', dIn: 4096 })),
    record('dense', { seqLen: 1024, dtype: 'f32', dIn: 11008 }),
  ];

  it('before a run, keeps the setting with the most records', () => {
    expect(referenceRecords(reference, spec, []).map((r) => `${r.params['dtype']} ${r.params['seqLen']}`)).toEqual(['f32 1024', 'f32 2048', 'f32 4096']);
  });

  it('after a run, keeps the setting the reader ran', () => {
    const mine = [record('dense', { seqLen: 64, dtype: 'f16', dIn: 4096 })];
    expect(referenceRecords(reference, spec, mine).map((r) => `${r.params['dtype']} ${r.params['seqLen']}`)).toEqual(['f16 1024', 'f16 4096']);
  });

  it('keeps each variant\'s own setting (tensor cores run only in f16)', () => {
    const both = [record('tiled', { seqLen: 1, dtype: 'f32' }), record('tiled', { seqLen: 2, dtype: 'f32' }), record('tensor cores', { seqLen: 1, dtype: 'f16' })];
    expect(referenceRecords(both, spec, []).map((r) => r.variant)).toEqual(['tiled', 'tiled', 'tensor cores']);
  });
});

describe('tick labels', () => {
  it('are plain numbers of three significant digits at most, thousands as k from 10k, tiny ones as powers of ten', () => {
    expect([0, 0.25, 1, 2500, 25_000, 32_768, 1e7, 1e10, 0.001, 1e-4, 2e-5, -0.5].map(formatTick)).toEqual([
      '0', '0.25', '1', '2500', '25k', '32.8k', '10M', '10G', '0.001', '10⁻⁴', '2×10⁻⁵', '−0.5',
    ]);
  });

  it('are estimated wide enough for DejaVu Sans, whose digits are 0.636 em', () => {
    // "100" at 12 px: three digits of 7.63 px each in DejaVu Sans.
    expect(textWidth('100')).toBeGreaterThanOrEqual(3 * 0.636 * 12);
    expect(textWidth('0.001')).toBeGreaterThanOrEqual((4 * 0.636 + 0.318) * 12);
  });
});

describe('units by magnitude', () => {
  it('takes the largest multiple the data reaches', () => {
    expect(multipleOf('seconds', 0.1).name).toBe('ms');
    expect(multipleOf('seconds', 4.2e-5).name).toBe('µs');
    expect(multipleOf('seconds', 3).name).toBe('s');
    expect(multipleOf('bytes', 1.3e10).name).toBe('GB');
    expect(multipleOf('KiB', 524_288).name).toBe('MiB');
    expect(multipleOf('GFLOP/s', 0.06).name).toBe('MFLOP/s');
  });

  it('names the multiple in the axis title, and the ticks follow it', () => {
    const timeSpec: PlotSpec = { ...spec, x: { ...spec.x, log: true }, y: { field: 'seconds.median', label: 'Time', unit: 'seconds', log: true } };
    const layout = layoutOf(timeSpec, { x: [1024, 4096], y: [2e-5, 0.1] }, [], 390);
    expect(layout.y.title).toBe('Time (ms)');
    expect(layout.y.size).toBe(1e-3);
    expect(layout.y.domain).toEqual([0.01, 100]);
  });
});

describe('scales', () => {
  it('widen a log axis of less than two decades to 1, 2 and 5 times a power of ten', () => {
    expect(scaleOf(1024, 4096, true, 10)).toEqual({ log: true, domain: [1000, 5000], ticks: [1000, 2000, 5000] });
  });

  it('widen a log axis of two decades or more to whole decades, every other one where room is short', () => {
    expect(scaleOf(1, 8192, true, 10).ticks).toEqual([1, 10, 100, 1000, 10_000]);
    expect(scaleOf(1e-6, 0.5, true, 4)).toEqual({ log: true, domain: [1e-6, 1], ticks: [1e-6, 1e-4, 0.01, 1] });
  });

  it('step a linear axis by 1, 2 or 5 times a power of ten', () => {
    expect(scaleOf(0, 95, false, 10).ticks).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(scaleOf(0.9, 1.68, false, 4).ticks).toEqual([0.8, 1, 1.2, 1.4, 1.6, 1.8]);
  });

  it('give a single value room on both sides', () => {
    expect(scaleOf(37, 37, true, 10).domain).toEqual([10, 100]);
  });
});

describe('margins', () => {
  it('hold the widest y tick label, its tick and its padding', () => {
    const rateSpec: PlotSpec = { ...spec, y: { field: 'extra.relError', label: 'Relative error' } };
    // A linear axis from 0.0125 to 0.0375: its labels have four decimals.
    const layout = layoutOf(rateSpec, { x: [1, 2], y: [0.0125, 0.0375] }, [], 390);
    const widest = Math.max(...layout.y.ticks.map((tick) => textWidth(formatTick(tick))));
    expect(layout.y.ticks.map(formatTick)).toContain('0.035');
    expect(layout.margin.left).toBeGreaterThan(widest + 6 + 3);
    expect(marginLeftFor(['100.00 ms'])).toBeGreaterThan(textWidth('100.00 ms') + 9);
  });
});

describe('shortName', () => {
  it('is the model of a device, without its vendor and memory', () => {
    expect(shortName('NVIDIA H100 80GB HBM3')).toBe('H100');
    expect(shortName('NVIDIA H200')).toBe('H200');
    expect(shortName('yours')).toBe('yours');
  });
});

describe('rooflineRows', () => {
  it('draws the matrix units twice where both were measured: with operands in registers, and fed from workgroup memory', () => {
    const device = { name: 'H100', copyGBps: 3000, fp32Gflops: 64_500, f16MatrixGflops: 655_000, f16MatrixFedGflops: 80_600 };
    const peak = (rows: ReturnType<typeof rooflineRows>, precision: string) => Math.max(...rows.filter((row) => row.precision === precision).map((row) => row.y));
    const rows = rooflineRows(device, [1, 1e4]);
    expect([...new Set(rows.map((row) => row.precision))]).toEqual(['fp32', 'f16 matrix', 'f16 matrix fed']);
    expect(peak(rows, 'f16 matrix fed')).toBe(80_600);
    expect(peak(rows, 'f16 matrix')).toBe(655_000);
    // Ceilings measured before the fed rate was: one matrix line, as before.
    expect([...new Set(rooflineRows({ ...device, f16MatrixFedGflops: undefined }, [1]).map((row) => row.precision))]).toEqual(['fp32', 'f16 matrix']);
  });
});
