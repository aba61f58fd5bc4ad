// The decode-attention family on the kernel interface (src/kernels/family.ts): one query token per sequence against
// its KV cache, H_q/H_kv query heads sharing each KV head, split across workgroups (flash-decoding) and merged by a
// combine pass. Versions, in the order of decode.ts's header: 1 workgroup (dot products summed through workgroup
// memory), 2 subgroup (teams of subgroup lanes, sums by shuffles; needs subgroups), each with K/V in f32 or in f16
// (widened, summed in f32); 3 matrix (the group's query heads as the rows of a matrix, both products on the matrix
// units; f16 K/V, f32 sums; needs subgroup matrices). Knobs: the splits of the context, rows a lane loads a step,
// version 2's team of lanes, version 3's subgroups walking different keys (slots) and keys a block. K and V are
// hashed values filled on the GPU (src/kernels/gpu/hashed.ts), so the reference recomputes
// them from their seeds and never holds the cache. Measured numbers stay in the WGSL headers.
import { knobsOf, type FamilyDevice, type KernelFamily, type KernelVersion, type Knobs } from '../family';
import { matrixRefusal, subgroupMaxSizeOf, WORKGROUP_SIZE } from '../matrix/matrix';
import { fillHashed } from '../gpu/hashed';
import type { Random } from '../gpu/random';
import { decodeBytes, decodeFlops, kvBytes } from './cost';
import {
  chooseSplits,
  decodeBufferBytes,
  decodeRefusal,
  planDecode,
  prepareDecode,
  shapeProblem,
  subgroupMinSizeOf,
  type DecodePlan,
  type DecodeShape,
  type DecodeVersion,
  type KvDtype,
} from './decode';
import { decodeTolerance, sequenceReference } from './decode.reference';

export type { DecodeShape } from './plan';

/** The seeds of one copy of K and V: fillHashed's values from them. */
export interface KvSeeds {
  k: number;
  v: number;
}

/** q: (batch, queryHeads, headDim) f32, random; K and V as the seeds of each copy the timed runs rotate through. */
export interface DecodeInputs {
  q: Float32Array;
  copies: KvSeeds[];
}

/**
 * Knobs, each value's first the default. splits: pieces of the context, 0 for about 256 workgroups but at least
 * two (see autoSplits); rowsPerStep: rows a lane loads before it uses any; team (version 2): lanes of a team, a
 * power of two within the smallest subgroup, 0 for the device's smallest subgroup.
 */
const SPLITS = [0, 1, 16] as const;
const TEAM = [0, 4, 8, 16] as const;

export const decodeVersions = [
  { name: 'workgroup-f32', label: 'workgroup memory, f32 K/V', unit: 'fp32', element: 'f32', knobs: { splits: SPLITS, rowsPerStep: [2, 1, 4] } },
  { name: 'workgroup-f16', label: 'workgroup memory, f16 K/V', unit: 'fp32', element: 'f16', knobs: { splits: SPLITS, rowsPerStep: [4, 1, 2] } },
  { name: 'subgroup-f32', label: 'subgroup shuffles, f32 K/V', unit: 'fp32', element: 'f32', knobs: { splits: SPLITS, rowsPerStep: [2, 1, 4], team: TEAM } },
  { name: 'subgroup-f16', label: 'subgroup shuffles, f16 K/V', unit: 'fp32', element: 'f16', knobs: { splits: SPLITS, rowsPerStep: [4, 1, 2], team: TEAM } },
  { name: 'matrix-f16', label: 'matrix units, f16 K/V', unit: 'f16-matrix', element: 'f16', knobs: { splits: [0, 1, 8, 32, 64], slots: [2, 1, 4, 8], keys: [16, 32, 64] } },
] as const satisfies readonly KernelVersion[];

/** The family's version that runs `kernel` with K/V in `dtype`. */
export function decodeVersionName(kernel: DecodeVersion, dtype: KvDtype): string {
  return `${kernel}-${dtype}`;
}

/** Which kernel a version runs (its K/V type is its element). */
export function kernelOf(version: KernelVersion): DecodeVersion {
  return version.name.split('-')[0] as DecodeVersion;
}

/** The largest head dimension version 3 holds in registers (its Q and output tiles), as attention's matrix kernel. */
const MATRIX_MAX_HEAD_DIM = 128;

/** Why this device or shape cannot take version 3 (the matrix units), or null. */
export function matrixDecodeRefusal(device: FamilyDevice, shape: DecodeShape, dtype: KvDtype): string | null {
  const missing = matrixRefusal(device.features, device.subgroupMatrixConfigs);
  if (missing) return `The matrix-unit decode kernel cannot run: ${missing}.`;
  if ((device.subgroupMinSize ?? 16) < 16) return `The matrix-unit decode kernel needs subgroups of at least 16 lanes; this device runs some of ${device.subgroupMinSize}.`;
  if (dtype !== 'f16') return 'The matrix-unit decode kernel reads K and V in f16; choose f16 or another kernel.';
  if (shape.headDim % 16 !== 0 || shape.headDim > MATRIX_MAX_HEAD_DIM) {
    return `The matrix-unit decode kernel holds head dimensions that are multiples of 16 up to ${MATRIX_MAX_HEAD_DIM}; ${shape.headDim} is not one.`;
  }
  return null;
}

/** The fewest splits where the knob asks for the automatic count. */
const MIN_SPLITS = 2;
/** The subgroup size a refusal assumes where the device does not say (the common 32). */
const ASSUMED_SUBGROUP = 32;
/**
 * Timed runs rotate through copies of K and V until they hold this much, so a cache smaller than the L2 (50 MB on
 * an H100) is read from memory, as a model's would be with every other layer in between.
 */
const WORKING_SET_BYTES = 256 * 1024 * 1024;
const MAX_COPIES = 4;

/**
 * The automatic splits, tuned on the H100 (2026-11-22, version 2): about 256 workgroups (chooseSplits' default, two
 * per multiprocessor) but at least two splits. Against 512 workgroups, B=1 GQA-8 at S=32768 took 117 instead of
 * 146 µs in f32; one split made MHA at B=8 slower. Elsewhere this is a start, not a measurement.
 */
export function autoSplits(shape: DecodeShape): number {
  return Math.min(Math.max(MIN_SPLITS, chooseSplits(shape)), shape.seqLen);
}

/**
 * The plan of `version` with `knobs` (defaults where not given) on teams of `subgroupMinSize` lanes unless the team
 * knob says; version 3's workgroups are of whole subgroups of `subgroupMaxSize`.
 */
export function planOf(shape: DecodeShape, version: KernelVersion, knobs: Knobs, subgroupMinSize: number, subgroupMaxSize = ASSUMED_SUBGROUP): DecodePlan {
  const { splits, rowsPerStep, team, slots, keys } = knobsOf(version, knobs);
  const options = { version: kernelOf(version), dtype: version.element, splits: splits || autoSplits(shape), rowsPerStep, slots, keys };
  return planDecode(shape, options, team || subgroupMinSize, subgroupMaxSize);
}

/** The pieces the context is cut into with `knobs` (the last may be shorter): the same for every version. */
export function splitsOf(shape: DecodeShape, knobs: Knobs): number {
  return planOf(shape, decodeVersions[0], knobs, ASSUMED_SUBGROUP).splits;
}

/** How many copies of K and V the timed runs rotate through. */
export function kvCopies(shape: DecodeShape, dtype: KvDtype): number {
  return Math.max(1, Math.min(MAX_COPIES, Math.ceil(WORKING_SET_BYTES / kvBytes(shape, dtype))));
}

export const decode: KernelFamily<DecodeShape, DecodeInputs> = {
  id: 'decode',
  versions: decodeVersions,
  examples: [
    // MHA, three sequences: 4 splits of 51 rows, the last of 50.
    { batch: 3, queryHeads: 4, kvHeads: 4, seqLen: 203, headDim: 64 },
    // GQA with groups of 4, one sequence, d = 80: 2 splits of 39 rows, the last of 38.
    { batch: 1, queryHeads: 8, kvHeads: 2, seqLen: 77, headDim: 80 },
    // MQA with a group of 6 (not a power of two), three sequences: 3 splits of 44 rows, the last of 42.
    { batch: 3, queryHeads: 6, kvHeads: 1, seqLen: 130, headDim: 32 },
  ],
  shapeOf: ({ seqLen, batch = 1, queryHeads = 32, kvHeads = queryHeads, headDim = 128 }) => {
    if (!seqLen) throw new Error('a decode shape takes seqLen, and batch, queryHeads, kvHeads and headDim (defaults 1, 32, queryHeads, 128)');
    return { batch, queryHeads, kvHeads, seqLen, headDim };
  },
  inputs(shape, random: Random, version) {
    const q = random.fill(new Float32Array(shape.batch * shape.queryHeads * shape.headDim), { kind: 'gaussian', mean: 0, std: 1 });
    const copies = Array.from({ length: kvCopies(shape, version.element) }, (_, copy) => ({ k: 2 * copy + 1, v: 2 * copy + 2 }));
    return { q, copies };
  },
  buffers(alloc, shape, inputs, version, knobs) {
    const bytes = decodeBufferBytes(planOf(shape, version, knobs, subgroupMinSizeOf(alloc.device), subgroupMaxSizeOf(alloc.device)));
    const elements = shape.batch * shape.kvHeads * shape.seqLen * shape.headDim;
    const buffers: Record<string, GPUBuffer> = {
      q: alloc.from(inputs.q, GPUBufferUsage.STORAGE, 'q'),
      out: alloc.empty(bytes.out, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'out'),
      partialOut: alloc.empty(bytes.partialOut, GPUBufferUsage.STORAGE, 'partialOut'),
      partialStats: alloc.empty(bytes.partialStats, GPUBufferUsage.STORAGE, 'partialStats'),
    };
    // k<c>, v<c>: (batch, kvHeads, seqLen, headDim) in the version's element, hashed values from copy c's seeds.
    inputs.copies.forEach((seeds, copy) => {
      for (const name of ['k', 'v'] as const) {
        const buffer = alloc.empty(bytes.kv, GPUBufferUsage.STORAGE, `${name} ${copy}`);
        fillHashed(alloc.device, buffer, elements, version.element, seeds[name]);
        buffers[`${name}${copy}`] = buffer;
      }
    });
    return buffers;
  },
  /** One row a sequence, (queryHeads, headDim); the first and the last sequence are checked. */
  rows: (shape) => ({ count: shape.batch, length: shape.queryHeads * shape.headDim }),
  reference({ q, copies }, shape, rows) {
    const length = shape.queryHeads * shape.headDim;
    const out = new Float64Array(rows.length * length);
    rows.forEach((sequence, i) => out.set(sequenceReference(shape, q, sequence, copies[0]!), i * length));
    return out;
  },
  tolerance: (version, expected) => decodeTolerance(expected, kernelOf(version) === 'matrix'),
  cost: (shape, version) => ({ flops: decodeFlops(shape), bytes: decodeBytes(shape, version.element), dispatches: 2 }),
  refusal(device, shape, version, knobs) {
    const team = knobsOf(version, knobs)['team'];
    if (kernelOf(version) === 'matrix') {
      const refusal = matrixDecodeRefusal(device, shape, version.element);
      if (refusal) return refusal;
    }
    if (kernelOf(version) === 'subgroup') {
      if (!device.features.has('subgroups')) return 'This kernel sums with subgroup shuffles, and this device offers no subgroups.';
      const smallest = device.subgroupMinSize ?? ASSUMED_SUBGROUP;
      if (team! > smallest) return `Teams of ${team} lanes must fit in a subgroup; this device runs some of ${smallest}.`;
    }
    const problem = shapeProblem(shape, version.element);
    if (problem) return problem;
    let plan: DecodePlan;
    try {
      plan = planOf(shape, version, knobs, device.subgroupMinSize ?? ASSUMED_SUBGROUP, device.subgroupMaxSize ?? WORKGROUP_SIZE);
    } catch (error) {
      return (error as Error).message;
    }
    return decodeRefusal(device.limits, plan, 'this decode step');
  },
  prepare(device, shape, buffers, version, knobs) {
    const plan = planOf(shape, version, knobs, subgroupMinSizeOf(device), subgroupMaxSizeOf(device));
    const { q, out, partialOut, partialStats } = buffers as Record<'q' | 'out' | 'partialOut' | 'partialStats', GPUBuffer>;
    const steps: ReturnType<typeof prepareDecode>[] = [];
    for (let copy = 0; buffers[`k${copy}`]; copy++) {
      steps.push(prepareDecode(device, plan, { q, k: buffers[`k${copy}`]!, v: buffers[`v${copy}`]!, out, partialOut, partialStats }));
    }
    return {
      // Pass `rep` reads copy rep mod copies (the check's run, rep 0, reads the first).
      encode: (pass, rep = 0) => steps[rep % steps.length]!.encode(pass),
      output: { buffer: out, element: 'f32' },
      dispatches: 2,
      destroy: () => steps.forEach((step) => step.destroy()),
    };
  },
};
