// GEMV for decoding, dense and TEAL-sparse: y = W·x for 1–8 tokens, W stored as Wᵀ (TEAL's layout).
// The versions and their grids are described in gemv.wgsl. Each version encodes its dispatches (the product,
// and with several splits of d_in the reduce) into a compute pass it is given.
import { WORD_BYTES } from '../gpu/buffers';
import { toHalfBits } from '../gpu/f16';
import { checkBuffer, checkWorkgroups, checkWorkgroupSize, firstRefusal } from '../gpu/limits';
import { cachedPerDevice } from '../gpu/pipelines';
import type { Prepared } from '../gpu/types';
import { bytesPerWeight, type GemvShape } from './cost';
import type { PackedWeights } from './gemv.reference';
import gemvSource from './gemv.wgsl';
import reduceSource from './reduce.wgsl';
import shapeSource from './shape.wgsl';
import f16Words from './weights-f16.wgsl';
import f32Words from './weights-f32.wgsl';

export type GemvVariant = 'dense' | 'sparse';

/** reduce.wgsl's workgroup size. */
const REDUCE_WORKGROUP = 64;
/** Accumulators per thread per token: one vec4f per 4 outputs of the thread's 16-byte word. */
const vecsPerWord = (shape: GemvShape) => WORD_BYTES / bytesPerWeight[shape.weights] / 4;

/** How a GEMV is cut into workgroups of words × lanes threads (gemv.wgsl). */
export interface GemvPlan {
  /** 16-byte words of each row a workgroup owns, one per thread along x. */
  words: number;
  /** Threads along y that share out a split's rows; words × lanes is a multiple of 32. */
  lanes: number;
  /** 16-byte words per row of Wᵀ (dOut padded to a whole word). */
  rowWords: number;
  /** Rows of Wᵀ each split adds up; the last split may have fewer. */
  rowsPerSplit: number;
  splits: number;
  /** Rows each thread has in flight: 1 to 16. */
  unroll: number;
}

/*
 * The plan's constants, from sweeps on an H100 (132 SMs, 2026-11-22, 32 GEMVs to a pass) over the Llama shapes
 * 4096→11008, 11008→4096 and 4096→14336 in f32 and f16:
 * - dense read fastest with 8 words (128 bytes of each row) per workgroup and 32 lanes: 62.5 µs at 4096→11008
 *   f32 against 64.4 µs for 32 × 8 threads in 4 splits; 4 words (half a cache line) lost a quarter.
 * - sparse read fastest with 64 outputs per workgroup (16 words of f32, 8 of f16) and 16 or 32 lanes.
 * - one split (no reduce dispatch) was fastest wherever it gave about 160 workgroups or more; with fewer
 *   (11008→4096: 64 to 128), 3 or 4 splits were 10 to 25% faster than one.
 * - 4 rows in flight per thread suited dense f32, 8 the rest; 16 gained nothing.
 * - at B=8 (2026-12-06, `npm run tune`, 4096→28672 f16, Llama-3-8B's gate and up): 16 lanes of 8 words took 136.3 µs
 *   against 207.8 for 32 lanes, the B=1 choice (4 words and 32 lanes: 156.9; every split count within 6%). So dense
 *   f16 at eight sequences takes 16 lanes; between two and seven, and in f32, 32 stay, not measured.
 * The family's knobs (GemvTiles) move them for `npm run tune`; the kernel tests cover other workgroup shapes by
 * passing a GemvPlan of their own to prepareGemv.
 */
const PLAN_THREADS = 256;
const DENSE_WORDS = 8;
const SPARSE_OUTPUTS = 64;
/** From this many tokens, dense f16 shares a split's rows among fewer lanes. */
const WIDE_BATCH = 8;
const WIDE_BATCH_LANES = 16;
/** Workgroups a grid should have at least; fewer along d_out are made up with splits of d_in... */
const TARGET_WORKGROUPS = 160;
/** ...as long as each lane keeps this many rows of its split to read. */
const MIN_ROWS_PER_LANE = 8;

/** What a plan lets vary (the family's knobs), each defaulting to the constants above. */
export interface GemvTiles {
  /** 16-byte words of each row a workgroup owns. */
  words: number;
  /** Threads along y sharing out a split's rows (0: the plan's own choice). */
  lanes: number;
  /** Rows each thread has in flight. */
  unroll: number;
  /** Workgroups the grid should have at least: d_in is split until it has them (1: never split). */
  workgroups: number;
}

/** The grid for `variant` at a shape (see the constants above), with `tiles` over them. */
export function planGemv(shape: GemvShape, variant: GemvVariant, tiles: Partial<GemvTiles> = {}): GemvPlan {
  const outputsPerWord = WORD_BYTES / bytesPerWeight[shape.weights];
  const words = tiles.words ?? (variant === 'dense' ? DENSE_WORDS : SPARSE_OUTPUTS / outputsPerWord);
  const lanes = tiles.lanes || (variant === 'dense' && shape.weights === 'f16' && shape.batch >= WIDE_BATCH ? WIDE_BATCH_LANES : PLAN_THREADS / words);
  const rowWords = Math.ceil(shape.dOut / outputsPerWord);
  const mostSplits = Math.max(1, Math.floor(shape.dIn / (MIN_ROWS_PER_LANE * lanes)));
  const wantedSplits = Math.min(mostSplits, Math.ceil((tiles.workgroups ?? TARGET_WORKGROUPS) / Math.ceil(rowWords / words)));
  const rowsPerSplit = Math.ceil(shape.dIn / wantedSplits);
  const unroll = tiles.unroll ?? (variant === 'dense' && shape.weights === 'f32' ? 4 : 8);
  return { words, lanes, rowWords, rowsPerSplit, splits: Math.ceil(shape.dIn / rowsPerSplit), unroll };
}

/** What gemv.wgsl cannot take in a plan's workgroup, or null: words × lanes threads a power of two from 64 to 256, 1 to 16 rows in flight. */
export function planProblem(plan: Pick<GemvPlan, 'words' | 'lanes' | 'unroll'>): string | null {
  const threads = plan.words * plan.lanes;
  if (!(Number.isInteger(threads) && threads >= 64 && threads <= MAX_THREADS && (threads & (threads - 1)) === 0)) {
    return `a workgroup of ${plan.words} words × ${plan.lanes} lanes: the GEMV takes a power of two from 64 to ${MAX_THREADS} threads`;
  }
  if (!(Number.isInteger(plan.unroll) && plan.unroll >= 1 && plan.unroll <= 16)) return `${plan.unroll} rows in flight a thread: the GEMV takes a whole number from 1 to 16`;
  return null;
}

/** Elements per row of packed Wᵀ. */
export function rowStride(shape: GemvShape): number {
  const perWord = WORD_BYTES / bytesPerWeight[shape.weights];
  return Math.ceil(shape.dOut / perWord) * perWord;
}

/** Wᵀ (dIn, dOut) in the GPU's layout, entry (i, c) = weight(i, c) rounded to the weight type, rows zero-padded. */
export function packWeights(shape: GemvShape, weight: (i: number, c: number) => number): PackedWeights {
  const stride = rowStride(shape);
  const data = shape.weights === 'f16' ? new Uint16Array(shape.dIn * stride) : new Float32Array(shape.dIn * stride);
  const convert = shape.weights === 'f16' ? toHalfBits : (value: number) => value;
  for (let i = 0; i < shape.dIn; i++) {
    for (let c = 0; c < shape.dOut; c++) data[i * stride + c] = convert(weight(i, c));
  }
  return { data, rowStride: stride };
}

/** Dispatches one GEMV records: the product, and with several splits of d_in the reduce. */
export function gemvDispatches(plan: GemvPlan): number {
  return plan.splits > 1 ? 2 : 1;
}

/** Bytes of the split-K partial sums: (splits, batch, rowWords·VECS) vec4f. */
export function partialBytes(shape: GemvShape, plan: GemvPlan): number {
  return plan.splits * shape.batch * plan.rowWords * vecsPerWord(shape) * WORD_BYTES;
}

/** gemv.wgsl's SURVIVORS: the sparse kernel's list of surviving rows, u32 each. */
const SURVIVORS = 2048;
/** Most threads in a workgroup: with SURVIVORS, counts and laneSums it keeps within WebGPU's 16 KiB default. */
const MAX_THREADS = 256;

/** Workgroup memory of gemv.wgsl: survivorRows, flags, counts, groupCounts, listLength, laneSums. */
function sharedBytes(plan: GemvPlan): number {
  const threads = plan.words * plan.lanes;
  return 4 * SURVIVORS + 8 * threads + 4 * (threads / 16) + 4 + 16 * threads;
}

/** A refusal naming the limit when this device cannot run the shape with this plan, else null. */
export function gemvRefusal(limits: Readonly<Record<string, number>>, shape: GemvShape, plan: GemvPlan): string | null {
  return firstRefusal(
    checkBuffer(limits, shape.dIn * plan.rowWords * WORD_BYTES, `Wᵀ (${shape.dIn}×${shape.dOut} ${shape.weights})`),
    checkBuffer(limits, partialBytes(shape, plan), `the split-K partial sums (${plan.splits} splits)`),
    checkWorkgroups(limits, Math.ceil(plan.rowWords / plan.words), 'the GEMV grid along d_out'),
    checkWorkgroups(limits, plan.splits, 'the GEMV grid along d_in'),
    checkWorkgroupSize(limits, plan.words * plan.lanes, sharedBytes(plan), 'the GEMV workgroup'),
  );
}

interface Pipelines {
  main: GPUComputePipeline;
  reduce: GPUComputePipeline;
}

function prefix(shape: GemvShape, plan: GemvPlan): string {
  return `const BATCH = ${shape.batch}u;\nconst WORDS = ${plan.words}u;\nconst LANES = ${plan.lanes}u;\nconst VECS = ${vecsPerWord(shape)}u;\nconst UNROLL = ${plan.unroll}u;\n${shapeSource}`;
}

function pipelines(device: GPUDevice, variant: GemvVariant, shape: GemvShape, plan: GemvPlan): Pipelines {
  const key = `${variant} ${shape.weights} batch ${shape.batch} workgroup ${plan.words}×${plan.lanes} unroll ${plan.unroll}`;
  return cachedPerDevice(device, `gemv ${key}`, () => {
    const words = shape.weights === 'f16' ? f16Words : f32Words;
    const main = device.createShaderModule({ label: `gemv ${key}`, code: prefix(shape, plan) + words + gemvSource });
    const reduce = device.createShaderModule({ label: `gemv reduce ${key}`, code: prefix(shape, plan) + reduceSource });
    return {
      main: device.createComputePipeline({ label: `gemv ${key}`, layout: 'auto', compute: { module: main, entryPoint: variant } }),
      reduce: device.createComputePipeline({ label: `gemv reduce ${key}`, layout: 'auto', compute: { module: reduce, entryPoint: 'reduce' } }),
    };
  });
}

export interface GemvBuffers {
  /** Wᵀ: (dIn, rowWords) 16-byte words, from packWeights. */
  weights: GPUBuffer;
  /** x: (batch, dIn) f32 */
  x: GPUBuffer;
  /** y: (batch, dOut) f32, written by every run. */
  y: GPUBuffer;
  /** partial: (splits, batch, rowWords·VECS) vec4f, partialBytes(shape, plan) long; made (and freed) by the dispatch if not given. GEMVs encoded one after another may share it. */
  partial?: GPUBuffer;
  /** The Shape uniform (shape.wgsl), UNIFORM_BYTES holding gemvUniforms(…); made (and freed) by the dispatch from its `threshold` if not given. */
  uniforms?: GPUBuffer;
}

/** Bytes of the Shape uniform. */
export const UNIFORM_BYTES = 32;

/** The Shape uniform of shape.wgsl: dIn, dOut, rowWords, rowsPerSplit, splits (u32), threshold (f32; −1 for dense). */
export function gemvUniforms(variant: GemvVariant, shape: GemvShape, plan: GemvPlan, threshold = -1): ArrayBuffer {
  const values = new ArrayBuffer(UNIFORM_BYTES);
  new Uint32Array(values, 0, 5).set([shape.dIn, shape.dOut, plan.rowWords, plan.rowsPerSplit, plan.splits]);
  new Float32Array(values, 20, 1)[0] = variant === 'dense' ? -1 : threshold;
  return values;
}

/**
 * Prepares `variant` for the given buffers. `threshold` is TEAL's: the sparse version reads the rows of Wᵀ
 * where some token has |x| > threshold, and treats the other entries of x as zero; dense ignores it. Where
 * `buffers.uniforms` is given, the threshold is the one written in it.
 */
export function prepareGemv(
  device: GPUDevice,
  variant: GemvVariant,
  shape: GemvShape,
  plan: GemvPlan,
  buffers: GemvBuffers,
  threshold = -1,
): Prepared<{ y: GPUBuffer }> {
  const problem = planProblem(plan);
  if (problem) throw new RangeError(`prepareGemv: ${problem}`);
  const { main, reduce } = pipelines(device, variant, shape, plan);
  const label = `gemv ${variant} ${shape.dIn}→${shape.dOut} ${shape.weights} ×${shape.batch}`;
  const uniforms = buffers.uniforms ?? device.createBuffer({ label: `${label} shape`, size: UNIFORM_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  if (!buffers.uniforms) device.queue.writeBuffer(uniforms, 0, gemvUniforms(variant, shape, plan, threshold));
  // partial: (splits, batch, rowWords·VECS) vec4f
  const partial =
    buffers.partial ??
    device.createBuffer({ label: `${label} partial sums`, size: partialBytes(shape, plan), usage: GPUBufferUsage.STORAGE });
  const mainGroup = device.createBindGroup({
    label: `${label} product`,
    layout: main.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: uniforms } },
      { binding: 1, resource: { buffer: buffers.weights } },
      { binding: 2, resource: { buffer: buffers.x } },
      { binding: 3, resource: { buffer: partial } },
      { binding: 4, resource: { buffer: buffers.y } },
    ],
  });
  const reduceGroup = device.createBindGroup({
    label: `${label} reduce`,
    layout: reduce.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: uniforms } },
      { binding: 1, resource: { buffer: partial } },
      { binding: 2, resource: { buffer: buffers.y } },
    ],
  });
  const groupsAlongOut = Math.ceil(plan.rowWords / plan.words);
  const reduceGroups = Math.ceil((plan.rowWords * vecsPerWord(shape)) / REDUCE_WORKGROUP);
  return {
    encode(pass) {
      pass.setPipeline(main);
      pass.setBindGroup(0, mainGroup);
      pass.dispatchWorkgroups(groupsAlongOut, plan.splits);
      if (plan.splits > 1) {
        pass.setPipeline(reduce);
        pass.setBindGroup(0, reduceGroup);
        pass.dispatchWorkgroups(reduceGroups, shape.batch);
      }
    },
    outputs: { y: buffers.y },
    dispatches: gemvDispatches(plan),
    destroy() {
      if (!buffers.uniforms) uniforms.destroy();
      if (!buffers.partial) partial.destroy();
    },
  };
}
