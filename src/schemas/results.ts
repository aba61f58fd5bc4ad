import { z } from './zod';

/** Time statistics over repeated runs of one (variant, point), in seconds. */
export const secondsSchema = z.object({
  /** Median over the timed repetitions. */
  median: z.number().positive(),
  /** 10th percentile. */
  p10: z.number().positive(),
  /** 90th percentile. */
  p90: z.number().positive(),
  /** How many timed repetitions. */
  n: z.number().int().positive(),
});

/** One measured (variant, point) of a lab: the record of DESIGN.md. */
export const runRecordSchema = z.object({
  /** The lab's id (`src/labs/index.ts`). */
  lab: z.string().min(1),
  /** Which kernel or configuration: `dense`, `sparse v2`, `GQA-8`. */
  variant: z.string().min(1),
  /** The point's parameters, by the lab's parameter names. */
  params: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
  seconds: secondsSchema,
  /** `timestamp`: timestamp-query around each pass; `submit`: a batch timed with onSubmittedWorkDone. */
  timing: z.enum(['timestamp', 'submit']),
  /** Floating-point operations one run does (the cost model). */
  flops: z.number().nonnegative(),
  /** The fewest bytes one run must move across device memory (the cost model). */
  bytes: z.number().nonnegative(),
  achieved: z.object({
    /** bytes / median seconds, in GB/s (1e9). */
    gbps: z.number().nonnegative(),
    /** flops / median seconds, in GFLOP/s (1e9). */
    gflops: z.number().nonnegative(),
  }),
  bound: z.object({
    /** The time this point cannot beat on this device, from the measured ceilings. */
    seconds: z.number().nonnegative(),
    /** Which ceiling sets it. */
    limitedBy: z.enum(['bandwidth', 'compute']),
  }),
  /** bound.seconds / seconds.median: 1 is the speed of light; above 1 is a counting bug, flagged. */
  fractionOfBound: z.number().nonnegative(),
  check: z.object({
    /** Largest |gpu − cpu| / max(|cpu|, floor) over the checked outputs. */
    maxRelError: z.number().nonnegative(),
    /** Whether maxRelError is within the kernel's tolerance. */
    ok: z.boolean(),
  }),
  /** Lab-specific derived numbers (speedup over dense, output error, ...), named with units. */
  extra: z.record(z.string(), z.number()).optional(),
});
export type RunRecord = z.infer<typeof runRecordSchema>;

/** What the adapter says about itself. */
export const adapterInfoSchema = z.object({
  vendor: z.string(),
  architecture: z.string(),
  device: z.string(),
  description: z.string(),
  /** A software or fallback adapter (SwiftShader, WARP): numbers are not those of a GPU. */
  isFallbackAdapter: z.boolean(),
  /** The matrix shapes its subgroup matrices (the tensor cores) offer, where it offers them: inputs, results, M×N×K. */
  subgroupMatrixConfigs: z
    .array(z.object({ componentType: z.string(), resultComponentType: z.string(), M: z.number().int(), N: z.number().int(), K: z.number().int() }))
    .optional(),
});
export type AdapterInfo = z.infer<typeof adapterInfoSchema>;

/** The unit a variant's arithmetic runs on, each with its own ceiling: a variant declares it, nothing guesses it. */
export const computeUnitSchema = z.enum(['fp32', 'f16', 'f16-matrix']);
export type ComputeUnit = z.infer<typeof computeUnitSchema>;

/** The device's speed of light as measured by the probe lab. */
export const ceilingsSchema = z.object({
  /** Copy bandwidth, read + write, GB/s. */
  copyGBps: z.number().positive(),
  /** Read-only streaming bandwidth, bytes read per second, GB/s (the probe's read also writes one f32 per 16 KiB read, counted). */
  readGBps: z.number().positive().optional(),
  /** FP32 FMA rate, GFLOP/s (an FMA counts 2). */
  fp32Gflops: z.number().positive(),
  /** f16 FMA rate, GFLOP/s, where shader-f16 is offered. */
  f16Gflops: z.number().positive().optional(),
  /** f16 multiply-accumulate rate of the matrix units (tensor cores) through subgroup matrices, f32 sums, GFLOP/s, where offered. */
  f16MatrixGflops: z.number().positive().optional(),
  /**
   * f16 rate of the matrix units fed from workgroup memory, f32 sums, GFLOP/s, where offered: every multiply's
   * operands loaded with subgroupMatrixLoad from workgroup memory, as any real matrix product or attention kernel
   * through WebGPU must, so the rate such a kernel can reach (on an H100 through Dawn, about a third of the above in a
   * long loop, 2026-12-06).
   */
  f16MatrixFedGflops: z.number().positive().optional(),
  /** The launch floor: seconds one more dispatch adds to a pass when it must wait for the one before. */
  launchSeconds: z.number().nonnegative().optional(),
});
export type Ceilings = z.infer<typeof ceilingsSchema>;

/** A measurement by another library in the same call on the same machine (PyTorch through `peers.py`). */
export const peerSchema = z.object({
  /** What it ran, as the peer names it: `gemm 4096^3 float16`. */
  name: z.string().min(1),
  /** The library and its version: `torch 2.11.0+cu130`. */
  library: z.string().min(1),
  /** Median seconds of one run. */
  seconds: z.number().positive(),
  /** Figures it reported besides: `{ tflops: 721.8 }`, `{ gbps: 2982.5 }`. */
  figures: z.record(z.string(), z.number()).optional(),
});
export type Peer = z.infer<typeof peerSchema>;

/** One run merged into a results file: its file, when, how many records, and the ceilings its bounds used. */
export const mergedRunSchema = z.object({
  file: z.string().min(1),
  date: z.string().min(1),
  records: z.number().int().nonnegative(),
  ceilings: ceilingsSchema,
});

/** The longest device name a results file takes (the bench checks its --gpu-name against it before a run). */
export const DEVICE_NAME_MAX_LENGTH = 200;

/** A results file: the browser's export, the bench's `--json` and `src/data/reference/*.json`. */
export const resultsFileSchema = z.object({
  device: z.object({
    /** The GPU's name, as its maker sells it where known (`NVIDIA H200`; the bench's --gpu-name), else the adapter's words. */
    name: z.string().min(1).max(DEVICE_NAME_MAX_LENGTH),
    /** The driver's version, where the adapter says it. */
    driver: z.string().max(100).optional(),
    info: adapterInfoSchema,
    features: z.array(z.string()),
    limits: z.record(z.string(), z.number()),
  }),
  /** The browser's user agent, or `node <version> + dawn <package version>`. */
  runtime: z.string().min(1),
  /** When the results were taken, ISO 8601. */
  date: z.string().min(1),
  /** The ceilings the bounds were computed with. */
  ceilings: ceilingsSchema.optional(),
  records: z.array(runRecordSchema),
  /** Other libraries' measurements in the same call on the same machine. */
  peers: z.array(peerSchema).optional(),
  /** The runs merged into this file, each with its own ceilings. */
  runs: z.array(mergedRunSchema).optional(),
  /** Anything else worth saying, in words. */
  notes: z.array(z.string()).optional(),
});
export type ResultsFile = z.infer<typeof resultsFileSchema>;
