// What the pages say from stored numbers: the ceilings every lab uses, in words, and a model that a reference GPU's
// memory cannot hold.
import { describe, expect, it } from 'vitest';
import { ceilingsInWords, ceilingsSentence } from '../../src/components/lab/ceilings-store';
import { heldBytes, memoryWarning, speedReport } from '../../src/components/model-speed';
import { DATASHEETS, datasheetOf } from '../../src/data/gpus';
import { modelById } from '../../src/data/models';
import { DEFAULT_MODE } from '../../src/models/graph';
import { references } from '../../src/lib/reference';

describe('the ceilings in words', () => {
  it('name each ceiling in the unit its size reads in, the launch floor as the store holds it', () => {
    const software = { copyGBps: 1.26, readGBps: 2.5, fp32Gflops: 45.6, launchSeconds: 13.8e-6 };
    expect(ceilingsInWords(software)).toBe('copy 1.26 GB/s, read 2.50 GB/s, FP32 FMA 45.6 GFLOP/s and a launch floor of 13.8 µs');
    expect(ceilingsInWords({ copyGBps: 3000, fp32Gflops: 64478, f16MatrixGflops: 642463 })).toBe('copy 3.00 TB/s, FP32 FMA 64.5 TFLOP/s and f16 on the matrix units 642 TFLOP/s');
    expect(ceilingsSentence(software, false)).toBe(
      'A run this small does not stand for the device, so every lab keeps the ceilings measured at the default sizes: copy 1.26 GB/s, read 2.50 GB/s, FP32 FMA 45.6 GFLOP/s and a launch floor of 13.8 µs.',
    );
    expect(ceilingsSentence(software, true)).toBe('Every lab on this site now bounds its points on this device by these ceilings.');
  });
});

describe("a model's speed of light against a GPU's memory", () => {
  const mixtral = modelById('mixtral-8x7b')!;
  const llama = modelById('llama-3-8b')!;
  const h100 = references.find((ref) => ref.id === 'h100')!;
  const device = { name: h100.name, ceilings: h100.file.ceilings!, memoryBytes: datasheetOf(h100.name)!.memoryBytes };

  it('has a datasheet for every reference GPU', () => {
    for (const ref of references) expect(datasheetOf(ref.name), ref.name).toBeDefined();
    expect(DATASHEETS.map((sheet) => sheet.memoryBytes / 2 ** 30)).toEqual([80, 141]);
  });

  it("flags Mixtral's f16 weights, more than an H100's 80 GiB, and not Llama-3-8B's", () => {
    // Mixtral-8x7B: 46.7 B parameters, 2 bytes each, beyond 80 GiB whatever the cache.
    expect(heldBytes(mixtral, DEFAULT_MODE)).toBeGreaterThan(46.7e9 * 2);
    expect(memoryWarning(mixtral, DEFAULT_MODE, device)).toMatch(/^87\.\d+ GiB is more than the NVIDIA H100 80GB HBM3's 80 GiB of memory/);
    expect(speedReport(mixtral, DEFAULT_MODE, device).html).toContain('data-warning>87.');
    expect(memoryWarning(llama, DEFAULT_MODE, device)).toBeNull();
    // Int4 weights: a quarter of the bytes, and it fits.
    expect(memoryWarning(mixtral, { ...DEFAULT_MODE, weights: 'int4' }, device)).toBeNull();
    // The reader's own GPU: WebGPU does not say its memory, so nothing is flagged.
    expect(memoryWarning(mixtral, DEFAULT_MODE, { name: 'yours', ceilings: device.ceilings })).toBeNull();
  });

  it('gives the bandwidth and the launch floor in the units their sizes read in', () => {
    const slow = { name: 'a software adapter', ceilings: { copyGBps: 1.26, fp32Gflops: 40, launchSeconds: 13.8e-6 }, yours: true };
    const { html } = speedReport(llama, DEFAULT_MODE, slow);
    expect(html).toContain('Bandwidth used: 1.26 GB/s');
    expect(html).toContain('the launch floor of 13.8 µs');
  });
});
