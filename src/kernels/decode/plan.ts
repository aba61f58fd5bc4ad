// The plan of a decode step (decode.ts runs it): the shape in the paper's terms, how the context is split,
// how version 2 cuts a workgroup into teams of subgroup lanes (decode-subgroup.ts generates its WGSL), and how
// version 3 cuts it into subgroups of query rows and keys on the matrix units (matrix.wgsl).
import { walkSharedBytes } from '../attention/walk';

export type KvDtype = 'f32' | 'f16';
export type DecodeVersion = 'workgroup' | 'subgroup' | 'matrix';

/** One decode step's attention, in the paper's terms. */
export interface DecodeShape {
  /** Sequences decoded together (B). */
  batch: number;
  /** Query heads (H_q), a multiple of kvHeads. */
  queryHeads: number;
  /** Key/value heads (H_kv): H_q for MHA, 1 for MQA, in between for GQA. */
  kvHeads: number;
  /** Tokens in the KV cache (S). */
  seqLen: number;
  /** Head dimension (d). */
  headDim: number;
}

export interface DecodeOptions {
  version: DecodeVersion;
  dtype: KvDtype;
  /** How many pieces the context is cut into; default: enough workgroups to fill a large GPU (chooseSplits). */
  splits?: number;
  /** Rows each lane loads before it uses any (more loads in flight, more registers). Default 2. */
  rowsPerStep?: number;
  /** Version 3: subgroups that walk different keys of a split, and keys a block (a multiple of 16). */
  slots?: number;
  keys?: number;
}

/** How version 2 cuts a workgroup (decode-subgroup.wgsl's header says what each count means). */
export interface SubgroupLayout {
  team: number;
  lanesPerHead: number;
  headSlots: number;
  rowSlots: number;
  headBlocks: number;
  rowGroups: number;
}

/** How version 3 cuts a workgroup (src/kernels/decode/matrix.wgsl): subgroups of rowBlocks × slots. */
export interface MatrixLayout {
  /** Blocks of 16 query heads the group fills. */
  rowBlocks: number;
  /** Subgroups of each row block that walk every slots-th block of keys. */
  slots: number;
  /** Keys a block. */
  keys: number;
}

/** Everything the kernels are specialised and dispatched with. */
export interface DecodePlan extends DecodeShape {
  version: DecodeVersion;
  dtype: KvDtype;
  splits: number;
  /** Rows of the KV cache per split: the last split may have fewer. */
  chunkLen: number;
  /** Rows each lane loads before it uses any. */
  rowsPerStep: number;
  workgroupSize: number;
  /** 16-byte units of a K or V row each lane reads. */
  columnsPerLane: number;
  /** Version 2 only. */
  layout?: SubgroupLayout;
  /** Version 3 only. */
  matrix?: MatrixLayout;
  /** Workgroup memory the split pass declares. */
  sharedBytes: number;
}

/**
 * Workgroups the split pass aims at: about two per multiprocessor on an H100 (132 SMs), the decode family's
 * automatic splits (src/kernels/decode/index.ts, autoSplits).
 */
const TARGET_WORKGROUPS = 256;
/** A split gets at least this many rows, so its fixed costs (loading q, merging) stay small. */
export const MIN_ROWS_PER_SPLIT = 64;
/** The smallest subgroup WebGPU allows, assumed when the device does not say. */
const SMALLEST_SUBGROUP = 4;
/** Version 1's workgroup, a power of two. */
const WORKGROUP_V1 = 64;
/** Version 2 keeps at most this many vec4 of q (and as many of output) per lane. */
const MAX_LANE_VEC4 = 8;
/** Version 2 aims at this many teams per workgroup, within 256 invocations. */
const TEAMS_V2 = 8;
const MAX_INVOCATIONS = 256;

export const bytesPerElement = (dtype: KvDtype) => (dtype === 'f16' ? 2 : 4);
export const unitsPerRow = (headDim: number, dtype: KvDtype) => (headDim * bytesPerElement(dtype)) / 16;
const pow2AtLeast = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

/** Splits so that batch·kvHeads·splits reaches `targetWorkgroups`, each split keeping at least MIN_ROWS_PER_SPLIT rows. */
export function chooseSplits(shape: DecodeShape, targetWorkgroups = TARGET_WORKGROUPS): number {
  const wanted = Math.ceil(targetWorkgroups / (shape.batch * shape.kvHeads));
  return Math.max(1, Math.min(wanted, Math.ceil(shape.seqLen / MIN_ROWS_PER_SPLIT)));
}

/** Version 2's lanes for a group of `group` query heads and rows of `units` 16-byte units, on teams of `team` lanes. */
export function subgroupLayout(group: number, units: number, dtype: KvDtype, team: number): SubgroupLayout {
  const vec4PerRow = units * (dtype === 'f16' ? 2 : 1);
  const fewestLanesPerHead = Math.min(team, pow2AtLeast(Math.ceil(vec4PerRow / MAX_LANE_VEC4)));
  const headSlots = Math.min(pow2AtLeast(group), team / fewestLanesPerHead);
  const lanesPerHead = Math.min(pow2AtLeast(units), team / headSlots);
  const headBlocks = Math.ceil(group / headSlots);
  return {
    team,
    lanesPerHead,
    headSlots,
    rowSlots: team / (headSlots * lanesPerHead),
    headBlocks,
    rowGroups: Math.max(1, Math.floor(TEAMS_V2 / headBlocks)),
  };
}

/** A reason the shape cannot run, or null. */
export function shapeProblem(shape: DecodeShape, dtype: KvDtype): string | null {
  const { queryHeads, kvHeads, headDim } = shape;
  for (const [name, value] of Object.entries(shape)) {
    if (!Number.isInteger(value) || value < 1) return `${name} must be a positive integer, got ${value}`;
  }
  if (queryHeads % kvHeads !== 0) return `queryHeads (${queryHeads}) must be a multiple of kvHeads (${kvHeads})`;
  const multiple = 16 / bytesPerElement(dtype);
  if (headDim % multiple !== 0) return `headDim must be a multiple of ${multiple} for ${dtype} K/V (16-byte rows), got ${headDim}`;
  return null;
}

/**
 * The kernels' specialisation and grid for a shape on a device whose smallest subgroup has `subgroupMinSize`
 * invocations and largest `subgroupMaxSize`.
 */
export function planDecode(shape: DecodeShape, options: DecodeOptions, subgroupMinSize = SMALLEST_SUBGROUP, subgroupMaxSize = MAX_INVOCATIONS / 2): DecodePlan {
  const problem = shapeProblem(shape, options.dtype);
  if (problem) throw new Error(`decode: ${problem}`);
  const { dtype } = options;
  const units = unitsPerRow(shape.headDim, dtype);
  const group = shape.queryHeads / shape.kvHeads;
  const rowsPerStep = options.rowsPerStep ?? 2;
  const wantedSplits = Math.max(1, Math.min(options.splits ?? chooseSplits(shape), shape.seqLen));
  const chunkLen = Math.ceil(shape.seqLen / wantedSplits);
  const common = {
    ...shape,
    version: options.version,
    dtype,
    splits: Math.ceil(shape.seqLen / chunkLen),
    chunkLen,
    rowsPerStep,
  };
  const headBytes = shape.headDim * 4;
  if (options.version === 'workgroup') {
    return {
      ...common,
      workgroupSize: WORKGROUP_V1,
      columnsPerLane: Math.ceil(units / WORKGROUP_V1),
      sharedBytes: 8 * WORKGROUP_V1 * 4,
    };
  }
  if (options.version === 'matrix') {
    if (dtype !== 'f16') throw new Error('decode: the matrix-unit version reads f16 K/V');
    const matrix = { rowBlocks: Math.ceil(group / 16), slots: options.slots ?? 2, keys: options.keys ?? 16 };
    const subgroups = matrix.rowBlocks * matrix.slots;
    return {
      ...common,
      workgroupSize: subgroups * subgroupMaxSize,
      columnsPerLane: 0,
      matrix,
      sharedBytes: walkSharedBytes({ subgroups, keys: matrix.keys }) + 2 * 16 * matrix.rowBlocks * shape.headDim,
    };
  }
  const layout = subgroupLayout(group, units, dtype, subgroupMinSize);
  const workgroupSize = layout.team * layout.headBlocks * layout.rowGroups;
  if (workgroupSize > MAX_INVOCATIONS) {
    throw new Error(`decode: ${group} query heads per KV head need ${workgroupSize} invocations per workgroup in version 2, beyond ${MAX_INVOCATIONS}`);
  }
  const slots = layout.rowGroups * layout.rowSlots;
  return {
    ...common,
    workgroupSize,
    columnsPerLane: Math.ceil(units / layout.lanesPerHead),
    layout,
    sharedBytes: slots * (headBytes + 8) + 4,
  };
}

/** The smallest subgroup size the device reports (4, WebGPU's floor, where it does not say). */
export function subgroupMinSizeOf(device: GPUDevice): number {
  return device.adapterInfo?.subgroupMinSize ?? SMALLEST_SUBGROUP;
}
