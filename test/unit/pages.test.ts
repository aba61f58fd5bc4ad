// What the pages say from stored numbers: the ceilings every lab uses, in words, and a model that a reference GPU's
// memory cannot hold.
import { describe, expect, it } from 'vitest';
import { ceilingsInWords, ceilingsSentence } from '../../src/components/lab/ceilings-store';
import { againstMeasured, heldBytes, memoryWarning, speedReport } from '../../src/components/model-speed';
import { datasheetOf, GPU_SHEETS, memoryBytesOf, sheetCeilings } from '../../src/data/gpus';
import { gpuSheetSchema } from '../../src/schemas/gpu';
import { modelById } from '../../src/data/models';
import { DEFAULT_MODE } from '../../src/models/graph';
import { references } from '../../src/lib/reference';

describe('the ceilings in words', () => {
  it('name each ceiling in the unit its size reads in, the launch floor as the store holds it', () => {
    const software = { copyGBps: 1.26, readGBps: 2.5, fp32Gflops: 45.6, launchSeconds: 13.8e-6 };
    expect(ceilingsInWords(software)).toBe('copy 1.26 GB/s, read 2.50 GB/s, FP32 FMA 45.6 GFLOP/s and a launch floor of 13.8 µs');
    expect(ceilingsInWords({ copyGBps: 3000, fp32Gflops: 64478, f16MatrixGflops: 642463 })).toBe('copy 3.00 TB/s, FP32 FMA 64.5 TFLOP/s and f16 on the matrix units 642 TFLOP/s');
    expect(ceilingsInWords({ copyGBps: 3000, fp32Gflops: 64478, f16MatrixGflops: 651923, f16MatrixFedGflops: 203597 })).toBe(
      'copy 3.00 TB/s, FP32 FMA 64.5 TFLOP/s and f16 on the matrix units 652 TFLOP/s (204 TFLOP/s fed from workgroup memory)',
    );
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
  const device = { name: h100.name, ceilings: h100.file.ceilings!, memoryBytes: memoryBytesOf(datasheetOf(h100.name)!) };

  it('has a datasheet for every reference GPU', () => {
    for (const ref of references) expect(datasheetOf(ref.name), ref.name).toBeDefined();
    expect(references.map((ref) => memoryBytesOf(datasheetOf(ref.name)!) / 2 ** 30).sort()).toEqual([141, 80]);
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

describe('the catalogue of GPUs by their datasheets', () => {
  it('holds the GPUs readers own, each figure with its source, and no sparse rate as a dense one', () => {
    expect(GPU_SHEETS.length).toBeGreaterThanOrEqual(14);
    for (const id of ['a100-sxm', 'h100-sxm', 'h200-sxm', 'l4', 'l40s', 'rtx-3090', 'rtx-4090', 'rtx-5090', 'rx-7900-xtx', 'm2-max', 'm3-max', 'm4-max']) {
      expect(GPU_SHEETS.some((sheet) => sheet.id === id), id).toBe(true);
    }
    expect(new Set(GPU_SHEETS.map((sheet) => sheet.id)).size).toBe(GPU_SHEETS.length);
    for (const sheet of GPU_SHEETS) {
      expect(gpuSheetSchema.safeParse(sheet).success, sheet.name).toBe(true);
      // The H100's datasheet prints 1,979 TFLOP/s with sparsity: the dense rate is half, and is what the bound uses.
      if (sheet.sparseMatrixTflops !== undefined) expect(Math.abs((2 * sheet.matrixTflops!) / sheet.sparseMatrixTflops - 1), sheet.name).toBeLessThan(0.02);
      if (sheet.matrixTflops !== undefined) expect(sheetCeilings(sheet)?.f16MatrixGflops ?? 1000 * sheet.matrixTflops, sheet.name).toBe(1000 * sheet.matrixTflops);
    }
    expect(GPU_SHEETS.find((sheet) => sheet.id === 'h100-sxm')!.matrixTflops).toBe(989.4);
  });

  it('refuses an entry whose figure names no source, or whose dense rate is the sparse one', () => {
    const h100Sheet = GPU_SHEETS.find((sheet) => sheet.id === 'h100-sxm')!;
    const { matrix: _, ...sourcesWithoutMatrix } = h100Sheet.sources;
    expect(gpuSheetSchema.safeParse({ ...h100Sheet, sources: sourcesWithoutMatrix }).error?.issues[0]?.message).toMatch(/NVIDIA H100 SXM: its matrix figure names no source/);
    expect(gpuSheetSchema.safeParse({ ...h100Sheet, matrixTflops: 1979 }).error?.issues[0]?.message).toMatch(/dense matrix rate must be half the sparse one/);
  });

  it('sets a datasheet beside what this notebook measured on the same GPU', () => {
    const sheet = datasheetOf(h100Name())!;
    const text = againstMeasured({ name: sheet.name, ceilings: sheetCeilings(sheet)!, datasheet: true }, { name: h100Name(), ceilings: references.find((ref) => ref.id === 'h100')!.file.ceilings! });
    expect(text).toMatch(/^A datasheet is not a measurement: on the same GPU \(NVIDIA H100 80GB HBM3\) this notebook measured bandwidth [\d.]+ TB\/s, \d+% of the datasheet's 3.35 TB\/s; f16 on the matrix units [\d.]+ TFLOP\/s, \d+% of the datasheet's dense 989 TFLOP\/s; FP32 /);
  });
});

function h100Name(): string {
  return references.find((ref) => ref.id === 'h100')!.name;
}
