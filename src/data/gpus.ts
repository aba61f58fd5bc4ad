// What the reference GPUs' datasheets say that their results files cannot: the memory a model must fit in. WebGPU
// does not tell a page how much memory a GPU has, so the reader's own GPU has no entry.

export interface GpuDatasheet {
  /** The GPU's name as its results file gives it (`device.name` in src/data/reference/*.json). */
  name: string;
  /**
   * Its memory, in bytes. Datasheets say GB, but HBM comes in binary sizes: the H100 SXM's 80 GB are five stacks of
   * 16 GiB.
   */
  memoryBytes: number;
  /** The datasheet, as NVIDIA titles it. */
  source: string;
}

export const DATASHEETS: readonly GpuDatasheet[] = [
  { name: 'NVIDIA H100 80GB HBM3', memoryBytes: 80 * 2 ** 30, source: 'NVIDIA H100 Tensor Core GPU datasheet (H100 SXM: 80 GB)' },
  { name: 'NVIDIA H200', memoryBytes: 141 * 2 ** 30, source: 'NVIDIA H200 Tensor Core GPU datasheet (H200 SXM: 141 GB)' },
];

/** The datasheet of the GPU a results file names, if this notebook has it. */
export const datasheetOf = (name: string) => DATASHEETS.find((sheet) => sheet.name === name);
