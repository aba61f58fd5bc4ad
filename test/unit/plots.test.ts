// Series names for the lab plots: runs that differ in more than the x axis are told apart.
import { describe, expect, it } from 'vitest';
import { plotted, seriesNames } from '../../src/components/lab/plots';
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
