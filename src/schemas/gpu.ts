// A GPU's datasheet figures (src/data/gpus.ts): what its vendor prints, each figure with the document it comes from.
// A datasheet is not a measurement: the notebook's pages set these beside the ceilings it measured where it has them.
import { z } from './zod';

/** Where a figure is printed: the vendor's document, its address, and the place in it. */
export const sourceSchema = z.object({
  title: z.string().min(1),
  url: z.url(),
  where: z.string().min(1),
});
export type Source = z.infer<typeof sourceSchema>;

/** The figures a sheet may give; each one given must name its source. */
export const FIGURES = ['memory', 'bandwidth', 'fp32', 'fp16', 'matrix', 'sparseMatrix'] as const;
export type Figure = (typeof FIGURES)[number];

export const gpuSheetSchema = z
  .object({
    /** In addresses and choices: `h100-sxm`. */
    id: z.string().regex(/^[a-z0-9-]+$/),
    /** As the reader knows it: `NVIDIA H100 SXM`. */
    name: z.string().min(1),
    vendor: z.enum(['NVIDIA', 'AMD', 'Apple']),
    /** The name a results file of this notebook gives the same GPU (`device.name` in src/data/reference/*.json). */
    measuredAs: z.string().min(1).optional(),
    /** Memory as the vendor states it, in GB; HBM and GDDR come in binary sizes (80 GB is five stacks of 16 GiB). */
    memoryGB: z.number().positive(),
    /** Memory bandwidth, GB/s. */
    bandwidthGBps: z.number().positive(),
    /** FP32 on the shader cores (no tensor cores), TFLOP/s; an FMA counts 2. Apple prints none. */
    fp32Tflops: z.number().positive().optional(),
    /** FP16 on the shader cores, TFLOP/s, where printed. */
    fp16Tflops: z.number().positive().optional(),
    /** FP16 or BF16 on the matrix units, dense (no structured sparsity), FP32 sums where the vendor tells them apart, TFLOP/s. */
    matrixTflops: z.number().positive().optional(),
    /** The same with 2:4 structured sparsity, as datasheets print it beside (or instead of) the dense rate. */
    sparseMatrixTflops: z.number().positive().optional(),
    /** What the figures leave out, in the reader's words: which configuration, what the vendor does not publish. */
    note: z.string().min(1).optional(),
    sources: z.partialRecord(z.enum(FIGURES), sourceSchema),
  })
  .superRefine((sheet, ctx) => {
    const given: Record<Figure, number | undefined> = {
      memory: sheet.memoryGB,
      bandwidth: sheet.bandwidthGBps,
      fp32: sheet.fp32Tflops,
      fp16: sheet.fp16Tflops,
      matrix: sheet.matrixTflops,
      sparseMatrix: sheet.sparseMatrixTflops,
    };
    for (const figure of FIGURES) {
      if (given[figure] !== undefined && !sheet.sources[figure]) ctx.addIssue({ code: 'custom', path: ['sources', figure], message: `${sheet.name}: its ${figure} figure names no source` });
      if (given[figure] === undefined && sheet.sources[figure]) ctx.addIssue({ code: 'custom', path: ['sources', figure], message: `${sheet.name}: a source for a ${figure} figure it does not give` });
    }
    // Sparsity doubles the printed rate: a dense rate that is not about half the sparse one is the sparse one, or a
    // typo (the L40S's datasheet prints 362.05 against 733, at a slightly lower clock).
    if (sheet.sparseMatrixTflops !== undefined && (sheet.matrixTflops === undefined || Math.abs(sheet.sparseMatrixTflops / sheet.matrixTflops - 2) > 0.05)) {
      ctx.addIssue({ code: 'custom', path: ['matrixTflops'], message: `${sheet.name}: the dense matrix rate must be half the sparse one (${sheet.sparseMatrixTflops})` });
    }
  });
export type GpuSheet = z.infer<typeof gpuSheetSchema>;
