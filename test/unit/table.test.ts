// The records table in the reader's words: a choice by its label, a sweep's value under its own name, a figure in
// seconds by its unit, and no fraction of bound where the bound is the lab's own measurement.
import { describe, expect, it } from 'vitest';
import { formatPoint, param, recordTable, shortTitle, type TableLabels } from '../../src/labs/table';
import type { RunRecord } from '../../src/schemas/results';

const labels: TableLabels = {
  params: [
    { name: 'sparsity', label: 'Sparsity sweep', kind: 'list', default: '0,50', unit: '%' },
    { name: 'distribution', label: 'Activations', kind: 'choice', default: 'gaussian', choices: [{ value: 'gaussian', label: 'Gaussian' }, { value: 'laplace', label: 'Laplace' }] },
    { name: 'model', label: 'Model', kind: 'choice', default: 'tiny', choices: [{ value: 'tiny', label: 'Tiny (Llama-shaped, for a quick run)' }] },
    { name: 'size', label: 'Sizes (n)', kind: 'list', default: '1024' },
  ],
  figures: { launchSeconds: 'Launch floor (s)', speedup: 'Speedup over dense (×)', kernel: 'Kernel' },
};

/** A record of 2 ms against a bound of 1 ms: 50% of it, 4 GB read at 2 TB/s. */
const record: RunRecord = {
  lab: 'x',
  variant: 'sparse',
  params: { sparsity: 0, distribution: 'laplace' },
  seconds: { median: 2e-3, p10: 2e-3, p90: 2e-3, n: 3 },
  timing: 'timestamp',
  flops: 0,
  bytes: 4e9,
  achieved: { gbps: 2000, gflops: 0 },
  bound: { seconds: 1e-3, limitedBy: 'bandwidth' },
  fractionOfBound: 0.5,
  check: { maxRelError: 0, ok: true },
  extra: { launchSeconds: 18.7e-6, speedup: 1.23456 },
};

describe('the records table in the reader\'s words', () => {
  it('shows a choice by its label and a sweep\'s value under its own name, not the list\'s', () => {
    expect(param(labels, 'distribution', 'laplace')).toEqual(['Activations', 'Laplace']);
    expect(param(labels, 'model', 'tiny')).toEqual(['Model', 'Tiny (Llama-shaped, for a quick run)']);
    expect(param(labels, 'sparsity', 0)).toEqual(['Sparsity', '0 %']);
    expect(param(labels, 'size', 1024)).toEqual(['Sizes (n)', '1024']);
    // A parameter beyond the settings by the lab's figures; a value no choice has, as it is.
    expect(param(labels, 'kernel', 'tiled')).toEqual(['Kernel', 'tiled']);
    expect(param(labels, 'distribution', 'cauchy')).toEqual(['Activations', 'cauchy']);
    expect(formatPoint(labels, record.params)).toBe('Sparsity 0 %, Activations Laplace');
  });

  it('gives a figure in seconds in its unit, without the (s) of its name', () => {
    const { more } = recordTable([record], labels);
    expect(more[0]).toContainEqual(['Launch floor', '18.7 µs']);
    expect(more[0]).toContainEqual(['Speedup over dense (×)', '1.235']);
  });

  it('leaves the fraction of bound out in a lab that measures the ceilings it is bounded by', () => {
    expect(recordTable([record], labels).rows[0]![4]).toBe('50%');
    const probe = { ...labels, ceilingsFrom: () => null };
    expect(recordTable([record], probe).rows[0]![4]).toBe('–');
    expect(recordTable([{ ...record, fractionOfBound: 1.09, bound: { ...record.bound, seconds: 2.18e-3 } }], labels).rows[0]![4]).toBe('109% (above the ceiling)');
  });

  it('names a lab by its title up to its colon or comma', () => {
    expect(shortTitle({ title: 'GQA: decode-time attention over a KV cache' })).toBe('GQA');
    expect(shortTitle({ title: 'A decode step, measured against the speed of light' })).toBe('A decode step');
    expect(shortTitle({ title: 'Plain' })).toBe('Plain');
  });
});
