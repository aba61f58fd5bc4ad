// GPUs readers own, by their datasheets: memory, bandwidth, FP32, and the FP16/BF16 rate of the matrix units
// (dense; the sparse one beside it where the vendor prints it), each figure with the document it comes from
// (src/schemas/gpu.ts). A datasheet is not a measurement: where this notebook measured the same GPU
// (src/data/reference/*.json), `measuredAs` names its results file's device, and the pages show both.
// WebGPU does not tell a page how much memory a GPU has, so the reader's own GPU has no entry.
import type { Ceilings } from '../schemas/results';
import { gpuSheetSchema, type GpuSheet, type Source } from '../schemas/gpu';

const source = (title: string, url: string) => (where: string): Source => ({ title, url, where });
const a100 = source('NVIDIA A100 Tensor Core GPU datasheet', 'https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf');
const ga100 = source('NVIDIA A100 Tensor Core GPU Architecture whitepaper', 'https://images.nvidia.com/aem-dam/en-zz/Solutions/data-center/nvidia-ampere-architecture-whitepaper.pdf');
const h100 = source('NVIDIA H100 Tensor Core GPU, product page', 'https://www.nvidia.com/en-us/data-center/h100/');
const gh100 = source('NVIDIA H100 Tensor Core GPU Architecture whitepaper, v1.04', 'https://resources.nvidia.com/en-us-tensor-core/gtc22-whitepaper-hopper');
const h200 = source('NVIDIA H200 Tensor Core GPU, product page', 'https://www.nvidia.com/en-us/data-center/h200/');
const a10 = source('NVIDIA A10 Tensor Core GPU datasheet', 'https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a10/pdf/a10-datasheet.pdf');
const l4 = source('NVIDIA L4 Tensor Core GPU datasheet', 'https://www.nvidia.com/en-us/data-center/l4/');
const l40s = source('NVIDIA L40S GPU datasheet', 'https://www.nvidia.com/en-us/data-center/l40s/');
const ga102 = source('NVIDIA Ampere GA102 GPU Architecture whitepaper', 'https://images.nvidia.com/aem-dam/en-zz/Solutions/geforce/ampere/pdf/NVIDIA-ampere-GA102-GPU-Architecture-Whitepaper-V1.pdf');
const ada = source('NVIDIA Ada GPU Architecture whitepaper', 'https://images.nvidia.com/aem-dam/Solutions/geforce/ada/nvidia-ada-gpu-architecture.pdf');
const blackwell = source('NVIDIA RTX Blackwell GPU Architecture whitepaper', 'https://images.nvidia.com/aem-dam/Solutions/geforce/blackwell/nvidia-rtx-blackwell-gpu-architecture.pdf');
const navi31 = source('AMD Radeon RX 7900 XTX, product specifications', 'https://www.amd.com/en/products/graphics/desktops/radeon/7000-series/amd-radeon-rx-7900xtx.html');
const mi300x = source('AMD Instinct MI300X accelerator, product page', 'https://www.amd.com/en/products/accelerators/instinct/mi300/mi300x.html');
const m2 = source('Apple Newsroom: Apple unveils M2 Pro and M2 Max (17 January 2023)', 'https://www.apple.com/newsroom/2023/01/apple-unveils-m2-pro-and-m2-max-next-generation-chips-for-next-level-workflows/');
const m3 = source('Apple Newsroom: Apple unveils M3, M3 Pro and M3 Max (30 October 2023)', 'https://www.apple.com/newsroom/2023/10/apple-unveils-m3-m3-pro-and-m3-max-the-most-advanced-chips-for-a-personal-computer/');
const m4 = source('Apple Newsroom: Apple introduces M4 Pro and M4 Max (30 October 2024)', 'https://www.apple.com/newsroom/2024/10/apple-introduces-m4-pro-and-m4-max/');
// Apple prints no FLOP rates for these GPUs; this list's are approximate, a third party's (TechPowerUp, via it).
const thirdParty = source("Hugging Face's hardware list (approximate figures from TechPowerUp; not Apple's)", 'https://github.com/huggingface/huggingface.js/blob/main/packages/tasks/src/hardware.ts');

const SHEETS: GpuSheet[] = [
  {
    id: 'a100-sxm',
    name: 'NVIDIA A100 SXM 80GB',
    vendor: 'NVIDIA',
    memoryGB: 80,
    bandwidthGBps: 2039,
    fp32Tflops: 19.5,
    fp16Tflops: 78,
    matrixTflops: 312,
    sparseMatrixTflops: 624,
    sources: {
      memory: a100('specifications, GPU Memory (A100 80GB SXM)'),
      bandwidth: a100('specifications, GPU Memory Bandwidth (A100 80GB SXM)'),
      fp32: a100('specifications, FP32'),
      fp16: ga100('Table 1, Peak FP16 (non-Tensor)'),
      matrix: a100('specifications, BFLOAT16 and FP16 Tensor Core, the first figure'),
      sparseMatrix: a100('specifications, BFLOAT16 and FP16 Tensor Core, the second figure, "with sparsity"'),
    },
  },
  {
    id: 'h100-sxm',
    name: 'NVIDIA H100 SXM',
    vendor: 'NVIDIA',
    measuredAs: 'NVIDIA H100 80GB HBM3',
    memoryGB: 80,
    bandwidthGBps: 3350,
    fp32Tflops: 67,
    matrixTflops: 989.4,
    sparseMatrixTflops: 1978.9,
    sources: {
      memory: h100('specifications, GPU Memory (H100 SXM)'),
      bandwidth: h100('specifications, GPU Memory Bandwidth (H100 SXM)'),
      fp32: h100('specifications, FP32 (H100 SXM)'),
      matrix: gh100('Table 3, Peak FP16 Tensor TFLOPS with FP32 Accumulate (H100 SXM5), the first figure'),
      sparseMatrix: gh100('Table 3, the same row, the second figure (with the sparsity feature)'),
    },
  },
  {
    id: 'h200-sxm',
    name: 'NVIDIA H200 SXM',
    vendor: 'NVIDIA',
    measuredAs: 'NVIDIA H200',
    memoryGB: 141,
    bandwidthGBps: 4800,
    fp32Tflops: 67,
    matrixTflops: 989.5,
    sparseMatrixTflops: 1979,
    note: 'NVIDIA prints only the rate with sparsity for the H200; the dense one here is half of it.',
    sources: {
      memory: h200('specifications, GPU Memory (H200 SXM)'),
      bandwidth: h200('specifications, GPU Memory Bandwidth (H200 SXM)'),
      fp32: h200('specifications, FP32 (H200 SXM)'),
      matrix: h200('specifications, FP16 Tensor Core, half the figure printed "with sparsity"'),
      sparseMatrix: h200('specifications, FP16 Tensor Core, "with sparsity"'),
    },
  },
  {
    id: 'a10',
    name: 'NVIDIA A10',
    vendor: 'NVIDIA',
    memoryGB: 24,
    bandwidthGBps: 600,
    fp32Tflops: 31.2,
    matrixTflops: 125,
    sparseMatrixTflops: 250,
    sources: {
      memory: a10('specifications, GPU Memory'),
      bandwidth: a10('specifications, GPU Memory Bandwidth'),
      fp32: a10('specifications, FP32'),
      matrix: a10('specifications, BFLOAT16 and FP16 Tensor Core, the first figure'),
      sparseMatrix: a10('specifications, BFLOAT16 and FP16 Tensor Core, the second figure, "with sparsity"'),
    },
  },
  {
    id: 'l4',
    name: 'NVIDIA L4',
    vendor: 'NVIDIA',
    memoryGB: 24,
    bandwidthGBps: 300,
    fp32Tflops: 30.3,
    matrixTflops: 121,
    sparseMatrixTflops: 242,
    note: 'NVIDIA prints only the rate with sparsity for the L4, saying the dense one is half of it.',
    sources: {
      memory: l4('specifications, GPU Memory'),
      bandwidth: l4('specifications, GPU Memory Bandwidth'),
      fp32: l4('specifications, FP32'),
      matrix: l4('specifications, FP16 Tensor Core: half the printed figure, as its footnote says without sparsity'),
      sparseMatrix: l4('specifications, FP16 Tensor Core, the printed figure "with sparsity"'),
    },
  },
  {
    id: 'l40s',
    name: 'NVIDIA L40S',
    vendor: 'NVIDIA',
    memoryGB: 48,
    bandwidthGBps: 864,
    fp32Tflops: 91.6,
    matrixTflops: 362.05,
    sparseMatrixTflops: 733,
    sources: {
      memory: l40s('specifications, GPU Memory'),
      bandwidth: l40s('specifications, Memory Bandwidth'),
      fp32: l40s('specifications, FP32'),
      matrix: l40s('specifications, FP16 Tensor Core, the first figure'),
      sparseMatrix: l40s('specifications, FP16 Tensor Core, the second figure, "with sparsity"'),
    },
  },
  {
    id: 'rtx-3090',
    name: 'NVIDIA GeForce RTX 3090',
    vendor: 'NVIDIA',
    memoryGB: 24,
    bandwidthGBps: 936,
    fp32Tflops: 35.6,
    matrixTflops: 71,
    sparseMatrixTflops: 142,
    note: 'The matrix rates are those with FP32 sums; with FP16 sums GeForce cards run twice as fast.',
    sources: {
      memory: ga102('Appendix A, Table 9, Frame Buffer Memory Size (RTX 3090)'),
      bandwidth: ga102('Appendix A, Table 9, Memory Bandwidth (RTX 3090)'),
      fp32: ga102('Appendix A, Table 9, Peak FP32 TFLOPS (non-Tensor)'),
      matrix: ga102('Appendix A, Table 9, Peak FP16 Tensor TFLOPS with FP32 Accumulate, the first figure'),
      sparseMatrix: ga102('Appendix A, Table 9, the same row, the second figure (with sparsity)'),
    },
  },
  {
    id: 'rtx-4090',
    name: 'NVIDIA GeForce RTX 4090',
    vendor: 'NVIDIA',
    memoryGB: 24,
    bandwidthGBps: 1008,
    fp32Tflops: 82.6,
    matrixTflops: 165.2,
    sparseMatrixTflops: 330.4,
    note: 'The matrix rates are those with FP32 sums; with FP16 sums GeForce cards run twice as fast.',
    sources: {
      memory: ada('Appendix A, Table 2, Frame Buffer Memory Size (RTX 4090)'),
      bandwidth: ada('Appendix A, Table 2, Memory Bandwidth (RTX 4090)'),
      fp32: ada('Appendix A, Table 2, Peak FP32 TFLOPS (non-Tensor)'),
      matrix: ada('Appendix A, Table 2, Peak FP16 Tensor TFLOPS with FP32 Accumulate, the first figure'),
      sparseMatrix: ada('Appendix A, Table 2, the same row, the second figure (with sparsity)'),
    },
  },
  {
    id: 'rtx-5090',
    name: 'NVIDIA GeForce RTX 5090',
    vendor: 'NVIDIA',
    memoryGB: 32,
    bandwidthGBps: 1792,
    fp32Tflops: 104.8,
    matrixTflops: 209.5,
    sparseMatrixTflops: 419,
    note: 'The matrix rates are those with FP32 sums; with FP16 sums GeForce cards run twice as fast.',
    sources: {
      memory: blackwell('Table 3, Frame Buffer Memory Size (RTX 5090)'),
      bandwidth: blackwell('Table 3, Memory Bandwidth (RTX 5090)'),
      fp32: blackwell('Table 3, Peak FP32 TFLOPS (non-Tensor)'),
      matrix: blackwell('Table 3, Peak FP16 Tensor TFLOPS with FP32 Accumulate, the first figure'),
      sparseMatrix: blackwell('Table 3, the same row, the second figure (with sparsity)'),
    },
  },
  {
    id: 'rx-7900-xtx',
    name: 'AMD Radeon RX 7900 XTX',
    vendor: 'AMD',
    memoryGB: 24,
    bandwidthGBps: 960,
    fp32Tflops: 61,
    fp16Tflops: 123,
    note: 'AMD prints no separate rate for its matrix (WMMA) instructions, and its FP32 and FP16 rates count dual issue; 960 GB/s leaves out the 96 MB Infinity Cache.',
    sources: {
      memory: navi31('Max Memory Size'),
      bandwidth: navi31('Memory Bandwidth'),
      fp32: navi31('Peak Single Precision Compute Performance'),
      fp16: navi31('Peak Half Precision Compute Performance'),
    },
  },
  {
    id: 'mi300x',
    name: 'AMD Instinct MI300X',
    vendor: 'AMD',
    memoryGB: 192,
    bandwidthGBps: 5300,
    fp32Tflops: 163.4,
    matrixTflops: 1307.4,
    sparseMatrixTflops: 2614.9,
    sources: {
      memory: mi300x('specifications, Memory Capacity'),
      bandwidth: mi300x('specifications, Peak Memory Bandwidth'),
      fp32: mi300x('specifications, Peak Single Precision (FP32) Vector Performance'),
      matrix: mi300x('specifications, Peak Half Precision (FP16) Performance'),
      sparseMatrix: mi300x('specifications, Peak Half Precision (FP16) Performance with Structured Sparsity'),
    },
  },
  {
    id: 'm2-max',
    name: 'Apple M2 Max (38-core GPU)',
    vendor: 'Apple',
    memoryGB: 96,
    bandwidthGBps: 400,
    fp32Tflops: 13.49,
    note: 'Apple prints no FLOP rate for its GPUs: the FP32 figure is a third party\'s, and there is none for matrix work.',
    sources: { memory: m2('up to 96GB of unified memory'), bandwidth: m2('400GB/s of unified memory bandwidth'), fp32: thirdParty('Apple M2 Max, tflops') },
  },
  {
    id: 'm3-max',
    name: 'Apple M3 Max (40-core GPU)',
    vendor: 'Apple',
    memoryGB: 128,
    bandwidthGBps: 400,
    fp32Tflops: 14.2,
    note: 'Apple prints no FLOP rate for its GPUs: the FP32 figure is a third party\'s, and there is none for matrix work. The 30-core M3 Max has 300 GB/s.',
    sources: { memory: m3('up to 128GB of unified memory'), bandwidth: m3('400GB/s of memory bandwidth (the 40-core GPU configuration)'), fp32: thirdParty('Apple M3 Max, tflops') },
  },
  {
    id: 'm4-max',
    name: 'Apple M4 Max (40-core GPU)',
    vendor: 'Apple',
    memoryGB: 128,
    bandwidthGBps: 546,
    note: 'Apple prints no FLOP rate for its GPUs, and this notebook has found no sourced one for the M4 Max: its speed of light cannot be computed from a datasheet. The 32-core M4 Max has 410 GB/s.',
    sources: { memory: m4('up to 128GB of unified memory'), bandwidth: m4('over half a terabyte per second (546GB/s) of memory bandwidth') },
  },
];

/** The catalogue, checked against its schema when it is first read: a wrong entry fails the build, naming it. */
export const GPU_SHEETS: readonly GpuSheet[] = SHEETS.map((sheet) => gpuSheetSchema.parse(sheet));

/** Bytes of memory: datasheets say GB, but HBM and GDDR come in binary sizes (the H100 SXM's 80 GB are five stacks of 16 GiB). */
export const memoryBytesOf = (sheet: GpuSheet) => sheet.memoryGB * 2 ** 30;

/** A datasheet's figures as ceilings for the speed of light, or null where it lacks an FP32 rate. */
export function sheetCeilings(sheet: GpuSheet): Ceilings | null {
  if (sheet.fp32Tflops === undefined) return null;
  return {
    copyGBps: sheet.bandwidthGBps,
    readGBps: sheet.bandwidthGBps,
    fp32Gflops: 1000 * sheet.fp32Tflops,
    ...(sheet.fp16Tflops !== undefined && { f16Gflops: 1000 * sheet.fp16Tflops }),
    ...(sheet.matrixTflops !== undefined && { f16MatrixGflops: 1000 * sheet.matrixTflops }),
  };
}

/** The datasheet of the GPU a results file names, if this notebook has it. */
export const datasheetOf = (name: string) => GPU_SHEETS.find((sheet) => sheet.measuredAs === name);
