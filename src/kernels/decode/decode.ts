// Decode-time attention: one query token per sequence against its KV cache, split across workgroups
// (flash-decoding) and merged by a combine pass. Both dispatches go into the compute pass they are given.
//
// Versions, simplest first (both split the context the same way; they differ in who sums a dot product):
//   1 `workgroup` (decode.wgsl): the whole workgroup works on each row; dot products are summed through
//     workgroup memory with a barrier per level. Runs on any WebGPU device.
//   2 `subgroup` (decode-subgroup.ts, which generates its WGSL unrolled): teams of subgroup lanes split a row between the group's query heads
//     and the head dimension; sums are subgroup shuffles, with no barrier in the row loop. Needs `subgroups`.
//   3 `matrix` (matrix.wgsl on attention's walk, walk.wgsl): the group's query heads are the rows of a matrix and
//     both products run on the matrix units, so a group of any width costs the FMA units nothing. f16 K/V only;
//     needs subgroup matrices.
// Versions 1 and 2 take K/V in f32 or f16 (read as raw bits and widened with unpack2x16float: no `shader-f16`
// needed).
import workgroupSource from './decode.wgsl';
import combineSource from './combine.wgsl';
import kvF32Source from './kv-f32.wgsl';
import kvF16Source from './kv-f16.wgsl';
import shapeSource from './shape.wgsl';
import splitBindingsSource from './split-bindings.wgsl';
import matrixHeader from './matrix.wgsl';
import { subgroupSplitPass } from './decode-subgroup';
import { walkKernel } from '../attention/walk';
import { checkBuffer, checkWorkgroups, checkWorkgroupSize, firstRefusal } from '../gpu/limits';
import { bindBuffers, cachedPerDevice } from '../gpu/pipelines';
import type { Prepared } from '../gpu/types';

export * from './plan';
import { bytesPerElement, unitsPerRow, type DecodePlan } from './plan';

/** A refusal naming the limit when this device cannot run the plan (`what` names the point), else null. */
export function decodeRefusal(limits: Readonly<Record<string, number>>, plan: DecodePlan, what: string): string | null {
  const bytes = decodeBufferBytes(plan);
  return firstRefusal(
    checkBuffer(limits, bytes.kv, `K (and V) for ${what}`),
    checkBuffer(limits, bytes.partialOut, `the split outputs for ${what}`),
    checkWorkgroups(limits, plan.splits, 'the splits of the context'),
    checkWorkgroups(limits, Math.max(plan.kvHeads, plan.queryHeads, plan.batch), 'heads or batch'),
    checkWorkgroupSize(limits, plan.workgroupSize, plan.sharedBytes, 'the decode kernel'),
  );
}

/** Sizes of the buffers one decode step needs. */
export function decodeBufferBytes(plan: DecodePlan) {
  const { batch, queryHeads, kvHeads, seqLen, headDim, splits } = plan;
  return {
    /** q: (batch, queryHeads, headDim) f32 */
    q: batch * queryHeads * headDim * 4,
    /** K or V: (batch, kvHeads, seqLen, headDim) in dtype, and for version 3 a block of rows past the end */
    kv: (batch * kvHeads * seqLen + (plan.matrix?.keys ?? 0)) * headDim * bytesPerElement(plan.dtype),
    /** out: (batch, queryHeads, headDim) f32 */
    out: batch * queryHeads * headDim * 4,
    /** partialOut: (batch, queryHeads, splits, headDim) f32 */
    partialOut: batch * queryHeads * splits * headDim * 4,
    /** partialStats: (batch, queryHeads, splits) vec2 f32 */
    partialStats: batch * queryHeads * splits * 8,
  };
}

/** The split pass's WGSL for a plan: decode.wgsl after its constants, version 2's generated code, or version 3's walk. */
export function splitPassSource(plan: DecodePlan): string {
  const group = plan.queryHeads / plan.kvHeads;
  if (plan.matrix) {
    const { rowBlocks, slots, keys } = plan.matrix;
    const subgroups = rowBlocks * slots;
    const header = [shapeSource, matrixHeader, `const GROUP = ${group}u;`, `const ROW_BLOCKS = ${rowBlocks}u;`, `const SLOTS = ${slots}u;`].join('\n');
    return walkKernel(header, { d: plan.headDim, keys, subgroups, threads: plan.workgroupSize, q: 'qStage' });
  }
  const prelude = [plan.dtype === 'f16' ? kvF16Source : kvF32Source, shapeSource, splitBindingsSource].join('\n');
  if (plan.layout) return subgroupSplitPass(plan, plan.layout, prelude);
  const constants = {
    HEAD_DIM: plan.headDim,
    GROUP: group,
    UNITS: unitsPerRow(plan.headDim, plan.dtype),
    VEC4_PER_UNIT: plan.dtype === 'f16' ? 2 : 1,
    COLS: plan.columnsPerLane,
    ROWS: plan.rowsPerStep,
    WORKGROUP: plan.workgroupSize,
  };
  return [...Object.entries(constants).map(([name, value]) => `const ${name} = ${value}u;`), prelude, workgroupSource].join('\n');
}

interface Pipelines {
  split: GPUComputePipeline;
  combine: GPUComputePipeline;
}

function pipelinesFor(device: GPUDevice, plan: DecodePlan): Pipelines {
  const group = plan.queryHeads / plan.kvHeads;
  const code = splitPassSource(plan);
  const label = `decode ${plan.version} ${plan.dtype} d=${plan.headDim} group=${group}`;
  // Keyed by the generated WGSL: plans that generate the same source share pipelines.
  return cachedPerDevice(device, code, () => ({
    split: device.createComputePipeline({
      label: `${label} split`,
      layout: 'auto',
      compute: { module: device.createShaderModule({ label: `${label} split`, code }) },
    }),
    combine: device.createComputePipeline({
      label: `decode combine d=${plan.headDim}`,
      layout: 'auto',
      compute: {
        module: device.createShaderModule({ label: 'decode combine', code: `${shapeSource}\n${combineSource}` }),
        entryPoint: 'combinePass',
        constants: { HEAD_DIM: plan.headDim },
      },
    }),
  }));
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

/**
 * One decode step ready to encode (the split pass, then the combine pass), for one set of buffers: its pipelines
 * (cached per device), a shape uniform (freed by destroy) and bind groups.
 */
export function prepareDecode(device: GPUDevice, plan: DecodePlan, buffers: DecodeBuffers): Prepared<{ out: GPUBuffer }> {
  const pipelines = pipelinesFor(device, plan);
  const uniform = device.createBuffer({ label: 'decode shape', size: 32, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(uniform, 0, shapeUniform(plan));
  const splitGroup = bindBuffers(device, pipelines.split, 'decode split', [uniform, buffers.q, buffers.k, buffers.v, buffers.partialOut, buffers.partialStats]);
  const combineGroup = bindBuffers(device, pipelines.combine, 'decode combine', [uniform, buffers.partialOut, buffers.partialStats, buffers.out]);
  return {
    encode(pass) {
      pass.setPipeline(pipelines.split);
      pass.setBindGroup(0, splitGroup);
      pass.dispatchWorkgroups(plan.splits, plan.kvHeads, plan.batch);
      pass.setPipeline(pipelines.combine);
      pass.setBindGroup(0, combineGroup);
      pass.dispatchWorkgroups(plan.queryHeads, plan.batch);
    },
    outputs: { out: buffers.out },
    dispatches: 2,
    destroy: () => uniform.destroy(),
  };
}
