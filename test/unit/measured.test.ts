// Measured numbers in the notes' prose: a hand-made results file with hand-worked numbers, looked up and printed as
// the notes print them (a time, a rate, a ratio to a peer, a change, a share, a difference), and every way a
// reference can be wrong refused with a message naming the note, what it asked for and what the file holds.
import { describe, expect, it } from 'vitest';
import type { ResultsFile, RunRecord } from '../../src/schemas/results';
import { references } from '../../src/lib/reference';
import {
  findRecord,
  formatChange,
  formatDay,
  measured,
  measuredForNote,
  noteOf,
  resolveOver,
  type MeasuredProps,
} from '../../src/lib/measured';

/** A record with the numbers that matter here; the rest filled in consistently (bytes / seconds, flops / seconds). */
function record(variant: string, params: RunRecord['params'], seconds: number, bytes: number, flops: number, boundSeconds: number, lab = 'teal'): RunRecord {
  return {
    lab,
    variant,
    params,
    seconds: { median: seconds, p10: seconds, p90: seconds, n: 20 },
    timing: 'timestamp',
    flops,
    bytes,
    achieved: { gbps: bytes / seconds / 1e9, gflops: flops / seconds / 1e9 },
    bound: { seconds: boundSeconds, limitedBy: 'bandwidth' },
    fractionOfBound: boundSeconds / seconds,
    check: { maxRelError: 0, ok: true },
  };
}

// dense, 32 a pass: 40 µs for 80 MB and 40 MFLOP: 2 TB/s, 1 TFLOP/s, bound 30 µs (75%).
// sparse at 50%: 26 µs. dense, one a pass: 50 µs (so "dense, f16, sparsity 0" alone names two records).
// The copy: 2500 GB/s. PyTorch: a GEMV at 1600 GB/s, a base layer of 2 ms and its adapter at 2.086 ms, a GEMM at 500 TFLOP/s.
const file: ResultsFile = {
  device: { name: 'NVIDIA Test GPU', info: { vendor: 'nvidia', architecture: '', device: '', description: '', isFallbackAdapter: false }, features: [], limits: {} },
  runtime: 'node v22 + dawn',
  date: '2026-11-22T14:15:23.288Z',
  records: [
    record('dense', { dtype: 'f16', sparsity: 0, perPass: 32 }, 40e-6, 80e6, 40e6, 30e-6),
    record('sparse', { dtype: 'f16', sparsity: 50, perPass: 32 }, 26e-6, 40e6, 20e6, 15e-6),
    record('dense', { dtype: 'f16', sparsity: 0, perPass: 1 }, 50e-6, 80e6, 40e6, 30e-6),
    record('copy', { copyMiB: 1024 }, 0.8e-3, 2e9, 0, 0.8e-3, 'probe'),
  ],
  peers: [
    { name: 'gemv 11008x4096 float16', library: 'torch 2.11.0', seconds: 50e-6, figures: { gbps: 1600 } },
    { name: 'lora base', library: 'torch 2.11.0', seconds: 2e-3 },
    { name: 'lora unmerged', library: 'torch 2.11.0', seconds: 2.086e-3 },
    { name: 'gemm', library: 'torch 2.11.0', seconds: 0.25e-3, figures: { tflops: 500 } },
  ],
};

const dense = { lab: 'teal', variant: 'dense', params: { dtype: 'f16', sparsity: 0, perPass: 32 } };
const sparse = { lab: 'teal', variant: 'sparse', params: { dtype: 'f16', sparsity: 50, perPass: 32 } };

describe('a measured number', () => {
  it('prints a record\'s time, rates, bytes, bound and share of the bound', () => {
    expect(measured(file, { measurement: dense })).toEqual({ text: '40.0 µs', value: 40e-6 });
    expect(measured(file, { measurement: dense, show: 'bandwidth' }).text).toBe('2.00 TB/s');
    expect(measured(file, { measurement: dense, show: 'flops' }).text).toBe('1.00 TFLOP/s');
    expect(measured(file, { measurement: sparse, show: 'flops' }).text).toBe('769 GFLOP/s');
    expect(measured(file, { measurement: sparse, show: 'bytes' }).text).toBe('40.0 MB');
    expect(measured(file, { measurement: dense, show: 'bound' }).text).toBe('30.0 µs');
    expect(measured(file, { measurement: dense, show: 'fraction' }).text).toBe('75%');
  });

  it('prints a peer\'s time and the rates it reported', () => {
    expect(measured(file, { measurement: { peer: 'lora base' } }).text).toBe('2.00 ms');
    expect(measured(file, { measurement: { peer: 'gemv 11008x4096 float16' }, show: 'bandwidth' }).text).toBe('1.60 TB/s');
    expect(measured(file, { measurement: { peer: 'gemm' }, show: 'flops' }).text).toBe('500 TFLOP/s');
  });

  it('compares with a peer or another record: ratio, change, share, difference', () => {
    // 2000 GB/s against PyTorch's 1600.
    const ratio = measured(file, { measurement: dense, show: 'bandwidth', over: { peer: 'gemv 11008x4096 float16' } });
    expect(ratio.text).toBe('1.25×');
    expect(ratio.value).toBeCloseTo(1.25, 12);
    // 2.086 ms over 2 ms: 4.3% more.
    expect(measured(file, { measurement: { peer: 'lora unmerged' }, over: { peer: 'lora base' }, as: 'change' }).text).toBe('+4.3%');
    // 26 µs over 40 µs: 35% less, with a minus sign, not a hyphen.
    expect(measured(file, { measurement: sparse, over: dense, as: 'change' }).text).toBe('−35%');
    // 2000 GB/s of the copy's 2500.
    expect(measured(file, { measurement: dense, show: 'bandwidth', over: { lab: 'probe', variant: 'copy' }, as: 'share' }).text).toBe('80%');
    // 40 µs − 26 µs; 80 MB − 40 MB.
    expect(measured(file, { measurement: dense, over: sparse, as: 'difference' }).text).toBe('14.0 µs');
    expect(measured(file, { measurement: dense, show: 'bytes', over: sparse, as: 'difference' }).value).toBe(40e6);
  });

  it('refuses a difference that would be negative, and a comparison without a second measurement', () => {
    expect(() => measured(file, { measurement: sparse, over: dense, as: 'difference' })).toThrow(/teal "sparse".* is below teal "dense".*26\.0 µs against 40\.0 µs.*swap them/);
    expect(() => measured(file, { measurement: dense, as: 'change' })).toThrow(/give it as over/);
  });

  it('names what the file holds when a record is not there, or not alone', () => {
    expect(() => findRecord(file, { lab: 'gqa', variant: 'MHA' })).toThrow('no records of the lab "gqa"; the file holds records of "teal", "probe"');
    expect(() => findRecord(file, { lab: 'teal', variant: 'merged' })).toThrow('its variants are "dense", "sparse"');
    expect(() => findRecord(file, { lab: 'teal', variant: 'dense', params: { seqLen: 4 } })).toThrow('have no parameter "seqLen"');
    expect(() => findRecord(file, { lab: 'teal', variant: 'dense', params: { sparsity: 90 } })).toThrow('no teal "dense" (sparsity 90) record; among its records sparsity is one of 0');
    expect(() => findRecord(file, { lab: 'teal', variant: 'dense', params: { dtype: 'f16', sparsity: 0 } })).toThrow('2 records match teal "dense" (dtype f16, sparsity 0); name perPass (32, 1) to pick one');
  });

  it('names the peers when one is not there, and what a peer reported when asked for more', () => {
    expect(() => measured(file, { measurement: { peer: 'gemv 4096x11008 float16' } })).toThrow('no peer "gemv 4096x11008 float16"; the file\'s peers are "gemv 11008x4096 float16", "lora base"');
    expect(() => measured(file, { measurement: { peer: 'lora base' }, show: 'bandwidth' })).toThrow('PyTorch\'s "lora base" has no bandwidth: a peer gives its time');
    expect(() => measured(file, { measurement: { peer: 'gemm' }, show: 'bytes' })).toThrow('has no bytes: a peer gives its time and tflops');
  });

  it('takes a second record by what differs from the first', () => {
    expect(resolveOver(dense, { variant: 'sparse', params: { sparsity: 50 } })).toEqual(sparse);
    // Another lab's parameters are not the first one's.
    expect(resolveOver(dense, { lab: 'probe', variant: 'copy' })).toEqual({ lab: 'probe', variant: 'copy', params: {} });
    expect(resolveOver(dense, { peer: 'gemm' })).toEqual({ peer: 'gemm' });
  });

  it('formats changes and days as the prose writes them', () => {
    expect([1.227, 0.99, 0.043, -0.35, -0.043].map(formatChange)).toEqual(['+123%', '+99%', '+4.3%', '−35%', '−4.3%']);
    expect(formatDay('2026-12-04T15:25:08.268Z')).toBe('4 December 2026');
    expect(() => formatDay('soon')).toThrow('"soon" is not a date');
  });
});

describe('<Measured> in a note', () => {
  const refs = [{ id: 'h100', file }];
  const ask = (props: MeasuredProps) => measuredForNote('src/content/papers/teal.mdx', refs, props);

  it('prints the number, the device and the day', () => {
    expect(ask({ gpu: 'h100', ...dense })).toEqual({ text: '40.0 µs', value: 40e-6, device: 'NVIDIA Test GPU', day: '22 November 2026' });
    expect(ask({ gpu: 'h100', ...dense, cite: true }).text).toBe('40.0 µs (NVIDIA Test GPU, 22 November 2026)');
    expect(ask({ gpu: 'h100', show: 'date' }).text).toBe('22 November 2026');
    expect(ask({ gpu: 'h100', show: 'device' }).text).toBe('NVIDIA Test GPU');
    expect(ask({ gpu: 'h100', ...dense, show: 'bandwidth', over: { peer: 'gemv 11008x4096 float16' } }).text).toBe('1.25×');
  });

  it('fails naming the note and what it asked for', () => {
    expect(() => ask({ gpu: 'h300', peer: 'gemm' })).toThrow('src/content/papers/teal.mdx: <Measured gpu="h300" peer="gemm">: no reference file "h300"; there are "h100"');
    expect(() => ask({ gpu: 'h100', lab: 'teal', variant: 'dense', params: { sparsity: 90 } })).toThrow(
      'src/content/papers/teal.mdx: <Measured gpu="h100" lab="teal" variant="dense" params={{"sparsity":90}}>: no teal "dense" (sparsity 90) record',
    );
    expect(() => ask({ gpu: 'h100', lab: 'teal' })).toThrow('name a record (lab and variant, and params to single it out) or a peer');
    expect(() => ask({ gpu: 'h100', peer: 'gemm', lab: 'teal' })).toThrow('a peer is named alone');
    expect(() => ask({ gpu: 'h100', show: 'date', peer: 'gemm' })).toThrow('takes no measurement');
  });

  it('names a note by its source file', () => {
    expect(noteOf('/papers/teal/')).toBe('src/content/papers/teal.mdx');
    expect(noteOf('/device/')).toBe('/device/');
  });

  it('gives the TEAL note\'s f16 GEMV against PyTorch\'s of the same shape (up projection, 4096 → 11008) from the H100 file', () => {
    // 4096·11008 f16 weights plus x and y, 90,210,304 bytes in 34.13 µs: about 2644 GB/s; PyTorch's W of (11008, 4096)
    // times x ran at 1890 GB/s. The down projection's 1652 GB/s would give 1.60×.
    const teal = { gpu: 'h100', lab: 'teal', variant: 'dense', params: { dtype: 'f16', sparsity: 0, perPass: 32, dIn: 4096 }, show: 'bandwidth' } as const;
    expect(measuredForNote('teal', references, { ...teal, over: { peer: 'gemv 11008x4096 float16' } }).text).toBe('1.40×');
  });
});
