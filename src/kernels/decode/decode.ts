// Decode-time attention: one query token per sequence against its KV cache, split across workgroups
// (flash-decoding) and merged by a combine pass. Both dispatches go into the compute pass they are given.
//
// Versions, simplest first (both split the context the same way; they differ in who sums a dot product):
//   1 `workgroup` (decode.wgsl): the whole workgroup works on each row; dot products are summed through
//     workgroup memory with a barrier per level. Runs on any WebGPU device.
//   2 `subgroup` (decode-subgroup.ts, which generates its WGSL unrolled): teams of subgroup lanes split a row between the group's query heads
//     and the head dimension; sums are subgroup shuffles, with no barrier in the row loop. Needs `subgroups`.
// K/V come in f32 or f16 (read as raw bits and widened with unpack2x16float: no `shader-f16` needed).
import workgroupSource from './decode.wgsl';
import combineSource from './combine.wgsl';
import kvF32Source from './kv-f32.wgsl';
import kvF16Source from './kv-f16.wgsl';
import { subgroupSplitPass } from './decode-subgroup';

export type KvDtype = 'f32' | 'f16';
export type DecodeVersion = 'workgroup' | 'subgroup';

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
  /** Workgroup memory the split pass declares. */
  sharedBytes: number;
}

/**
 * Workgroups the split pass aims at: about two per multiprocessor on an H100 (132 SMs), the GQA lab's tuning
 * (src/labs/gqa/index.ts, planFor).
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
const unitsPerRow = (headDim: number, dtype: KvDtype) => (headDim * bytesPerElement(dtype)) / 16;
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

/** The kernels' specialisation and grid for a shape on a device whose smallest subgroup has `subgroupMinSize` invocations. */
export function planDecode(shape: DecodeShape, options: DecodeOptions, subgroupMinSize = SMALLEST_SUBGROUP): DecodePlan {
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

/** Sizes of the buffers one decode step needs. */
export function decodeBufferBytes(plan: DecodePlan) {
  const { batch, queryHeads, kvHeads, seqLen, headDim, splits } = plan;
  return {
    /** q: (batch, queryHeads, headDim) f32 */
    q: batch * queryHeads * headDim * 4,
    /** K or V: (batch, kvHeads, seqLen, headDim) in dtype */
    kv: batch * kvHeads * seqLen * headDim * bytesPerElement(plan.dtype),
    /** out: (batch, queryHeads, headDim) f32 */
    out: batch * queryHeads * headDim * 4,
    /** partialOut: (batch, queryHeads, splits, headDim) f32 */
    partialOut: batch * queryHeads * splits * headDim * 4,
    /** partialStats: (batch, queryHeads, splits) vec2 f32 */
    partialStats: batch * queryHeads * splits * 8,
  };
}

/** The WGSL of the split pass for a plan: decode.wgsl after its constants, or version 2's generated code. */
export function splitPassSource(plan: DecodePlan): string {
  const kvSource = plan.dtype === 'f16' ? kvF16Source : kvF32Source;
  if (plan.layout) return subgroupSplitPass(plan, plan.layout, kvSource);
  const constants = {
    HEAD_DIM: plan.headDim,
    GROUP: plan.queryHeads / plan.kvHeads,
    UNITS: unitsPerRow(plan.headDim, plan.dtype),
    VEC4_PER_UNIT: plan.dtype === 'f16' ? 2 : 1,
    COLS: plan.columnsPerLane,
    ROWS: plan.rowsPerStep,
    WORKGROUP: plan.workgroupSize,
  };
  return [...Object.entries(constants).map(([name, value]) => `const ${name} = ${value}u;`), kvSource, workgroupSource].join('\n');
}

interface Pipelines {
  split: GPUComputePipeline;
  combine: GPUComputePipeline;
}

const pipelineCache = new WeakMap<GPUDevice, Map<string, Pipelines>>();

function pipelinesFor(device: GPUDevice, plan: DecodePlan): Pipelines {
  const group = plan.queryHeads / plan.kvHeads;
  const code = splitPassSource(plan);
  let cache = pipelineCache.get(device);
  if (!cache) pipelineCache.set(device, (cache = new Map()));
  let pipelines = cache.get(code);
  if (!pipelines) {
    const label = `decode ${plan.version} ${plan.dtype} d=${plan.headDim} group=${group}`;
    pipelines = {
      split: device.createComputePipeline({
        label: `${label} split`,
        layout: 'auto',
        compute: { module: device.createShaderModule({ label: `${label} split`, code }), entryPoint: 'splitPass' },
      }),
      combine: device.createComputePipeline({
        label: `decode combine d=${plan.headDim}`,
        layout: 'auto',
        compute: {
          module: device.createShaderModule({ label: 'decode combine', code: combineSource }),
          entryPoint: 'combinePass',
          constants: { HEAD_DIM: plan.headDim },
        },
      }),
    };
    cache.set(code, pipelines);
  }
  return pipelines;
}

/** The shape uniform of both passes: seqLen, kvHeads, queryHeads, splits, chunkLen (u32), scaleLog2 (f32). */
function shapeUniform(plan: DecodePlan): ArrayBuffer {
  const data = new ArrayBuffer(32);
  new Uint32Array(data, 0, 5).set([plan.seqLen, plan.kvHeads, plan.queryHeads, plan.splits, plan.chunkLen]);
  new Float32Array(data, 20, 1)[0] = Math.LOG2E / Math.sqrt(plan.headDim);
  return data;
}

/** Buffers of one decode step. */
export interface DecodeBuffers {
  /** q: (batch, queryHeads, headDim) f32 */
  q: GPUBuffer;
  /** k, v: (batch, kvHeads, seqLen, headDim) in the plan's dtype */
  k: GPUBuffer;
  v: GPUBuffer;
  /** out: (batch, queryHeads, headDim) f32 */
  out: GPUBuffer;
  /** partialOut: (batch, queryHeads, splits, headDim) f32, scratch */
  partialOut: GPUBuffer;
  /** partialStats: (batch, queryHeads, splits) vec2 f32, scratch */
  partialStats: GPUBuffer;
}

/** The split and combine scratch buffers for a plan. */
export function createDecodeScratch(device: GPUDevice, plan: DecodePlan): Pick<DecodeBuffers, 'partialOut' | 'partialStats'> {
  const bytes = decodeBufferBytes(plan);
  return {
    partialOut: device.createBuffer({ label: 'decode partialOut', size: bytes.partialOut, usage: GPUBufferUsage.STORAGE }),
    partialStats: device.createBuffer({ label: 'decode partialStats', size: bytes.partialStats, usage: GPUBufferUsage.STORAGE }),
  };
}

/** One decode step ready to encode, for one set of buffers. */
export interface DecodeDispatch {
  /** Encodes the step (split pass, then combine pass) into `pass`. */
  encode(pass: GPUComputePassEncoder): void;
  /** Frees the uniform buffer it made (not the buffers it was given). */
  destroy(): void;
}

/** Builds pipelines (cached per device), a shape uniform and bind groups for one set of buffers. */
export function prepareDecode(device: GPUDevice, plan: DecodePlan, buffers: DecodeBuffers): DecodeDispatch {
  const pipelines = pipelinesFor(device, plan);
  const uniform = device.createBuffer({ label: 'decode shape', size: 32, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(uniform, 0, shapeUniform(plan));
  const splitGroup = device.createBindGroup({
    label: 'decode split',
    layout: pipelines.split.getBindGroupLayout(0),
    entries: [uniform, buffers.q, buffers.k, buffers.v, buffers.partialOut, buffers.partialStats].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const combineGroup = device.createBindGroup({
    label: 'decode combine',
    layout: pipelines.combine.getBindGroupLayout(0),
    entries: [uniform, buffers.partialOut, buffers.partialStats, buffers.out].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  return {
    encode(pass) {
      pass.setPipeline(pipelines.split);
      pass.setBindGroup(0, splitGroup);
      pass.dispatchWorkgroups(plan.splits, plan.kvHeads, plan.batch);
      pass.setPipeline(pipelines.combine);
      pass.setBindGroup(0, combineGroup);
      pass.dispatchWorkgroups(plan.queryHeads, plan.batch);
    },
    destroy: () => uniform.destroy(),
  };
}
