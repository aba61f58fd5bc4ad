// GQA (Ainslie et al., 2023) at decode time: one new token attends over its whole KV cache, so a step
// reads 2·B·H_kv·S·d·elt bytes and GQA divides them by H_q/H_kv. This lab times the flash-decoding kernel
// (src/kernels/decode) for MHA, GQA and MQA over a sweep of context lengths against that bound.
import { kvBytes } from '../../kernels/decode/cost';
import { decode, decodeVersionName, kvCopies, splitsOf, type DecodeShape } from '../../kernels/decode/index';
import type { DecodeVersion } from '../../kernels/decode/plan';
import { checkedRowsOf, versionOf } from '../../kernels/family';
import { familyDeviceOf, shapeAt } from '../harness';
import { HEAD_DIM_PARAM, timePlot } from '../specs';
import type { ExtraContext, Lab, LabDevice, LabPoint, LabVariant, SettingsOf } from '../types';
import { claims, verdict } from './verdict';

const MAX_HEADS = 256;
const MAX_BATCH = 256;
const MAX_SEQ_LEN = 1 << 22;
const MAX_POINTS = 24;
const SEED = 5;

export type Kernel = 'auto' | DecodeVersion;

const params = [
  { name: 'batch', label: 'Batch (B)', kind: 'int', default: 1, min: 1, max: MAX_BATCH, unit: 'sequences', help: 'Sequences decoded together.' },
  { name: 'queryHeads', label: 'Query heads (H_q)', kind: 'int', default: 32, min: 1, max: MAX_HEADS },
  {
    name: 'kvHeads',
    label: 'KV heads (H_kv)',
    kind: 'list',
    integer: true,
    default: '32, 8, 1',
    min: 1,
    max: MAX_HEADS,
    maxLength: MAX_POINTS,
    help: 'One variant each: H_q is MHA, 1 is MQA, anything between is GQA with that many groups. Each must divide H_q.',
  },
  {
    name: 'seqLen',
    label: 'Context lengths (S)',
    kind: 'list',
    integer: true,
    default: '1024, 2048, 4096, 8192, 16384',
    unit: 'tokens',
    min: 1,
    max: MAX_SEQ_LEN,
    maxLength: MAX_POINTS,
    help: 'Tokens in the KV cache; the device\'s buffer limits cap how far this goes.',
  },
  HEAD_DIM_PARAM,
  {
    name: 'dtype',
    label: 'K/V type',
    kind: 'choice',
    default: 'f32',
    choices: [
      { value: 'f32', label: 'f32' },
      { value: 'f16', label: 'f16 (summed in f32)' },
    ],
    help: 'How K and V are stored; q, the output and the sums are f32 (the matrix-unit kernel rounds q and the probabilities to f16).',
  },
  {
    name: 'kernel',
    label: 'Kernel',
    kind: 'choice',
    default: 'auto',
    choices: [
      { value: 'auto', label: 'auto (matrix units for wide groups, else subgroups, where offered)' },
      { value: 'matrix', label: 'version 3: matrix units (f16 K/V)' },
      { value: 'subgroup', label: 'version 2: subgroup shuffles' },
      { value: 'workgroup', label: 'version 1: workgroup memory' },
    ],
    help: 'Version 3 puts the query heads that share a KV head on the matrix units, so wide groups cost the FMA units nothing.',
  },
  {
    name: 'split',
    label: 'Context split',
    kind: 'choice',
    default: 'flash',
    choices: [
      { value: 'flash', label: 'flash-decoding (split + combine)' },
      { value: 'none', label: 'none (one workgroup per sequence and KV head)' },
    ],
    help: 'Without a split, one sequence with few KV heads leaves most of the GPU idle.',
  },
] as const;

/** The parameters of one run, parsed: kvHeads and seqLen as lists, headDim as a choice. */
export type GqaSettings = SettingsOf<typeof params>;

/** The KV-head variants, largest first (MHA before GQA before MQA), each once. */
export function kvHeadsOf(settings: Pick<GqaSettings, 'kvHeads'>): number[] {
  return [...new Set(settings.kvHeads)].sort((a, b) => b - a);
}

/** `MHA` when every query head has its own KV head, `MQA` for one, `GQA-G` for G groups (Ainslie et al.'s naming). */
export function variantName(queryHeads: number, kvHeads: number): string {
  if (kvHeads === queryHeads) return 'MHA';
  if (kvHeads === 1) return 'MQA';
  return `GQA-${kvHeads}`;
}

/**
 * Query heads per KV head from which `auto` takes the matrix units. On an H100 (2026-12-06, B=8, H_q=32, S=8192, f16)
 * version 3 against version 2: a group of 32 (MQA) 84.5 against 143 µs, 16 (2 KV heads) 96.2 against 133.4, 8 (4 KV
 * heads) 141.5 against 126.3, 4 (GQA-8) 178 against 124.
 */
const MATRIX_GROUP = 16;

/**
 * The kernel version to run: `auto` takes version 3 for a wide group of query heads (MATRIX_GROUP or more a KV head)
 * where the device can run it at `shape`, else version 2 where the device has subgroups.
 */
export function versionFor(kernel: Kernel, gpu: LabDevice, shape?: DecodeShape, dtype?: 'f32' | 'f16'): DecodeVersion {
  if (kernel !== 'auto') return kernel;
  const grouped = shape !== undefined && shape.queryHeads >= MATRIX_GROUP * shape.kvHeads;
  // Where the device takes it at this group: its features, and a workgroup of the group's row blocks that fits.
  if (grouped && dtype === 'f16' && decode.refusal(familyDeviceOf(gpu), shape, versionOf(decode, 'matrix-f16'), {}) === null) return 'matrix';
  return gpu.features.has('subgroups') ? 'subgroup' : 'workgroup';
}

/** The lab's own rules; each variant's shape, buffers and workgroups are refused by the decode family. */
function validate(settings: GqaSettings, gpu: LabDevice): string | null {
  const notDividing = settings.kvHeads.find((h) => settings.queryHeads % h !== 0);
  if (notDividing !== undefined) return `Each number of KV heads must divide the ${settings.queryHeads} query heads; ${notDividing} does not.`;
  if (settings.kernel === 'subgroup' && !gpu.features.has('subgroups')) {
    return 'The subgroup kernel needs subgroups, which this device does not offer: choose auto or the workgroup kernel.';
  }
  if (settings.kernel === 'matrix') {
    const shape = { batch: settings.batch, queryHeads: settings.queryHeads, kvHeads: settings.queryHeads, seqLen: 1, headDim: Number(settings.headDim) };
    const refusal = settings.dtype === 'f16' ? decode.refusal(familyDeviceOf(gpu), shape, versionOf(decode, 'matrix-f16'), {}) : 'The matrix-unit decode kernel reads K and V in f16; choose f16 or another kernel.';
    if (refusal) return `${refusal} Choose auto to use the kernel this device runs.`;
  }
  return null;
}

/**
 * One point a context length, at MHA's shape; each variant narrows the KV heads. The params list every parameter
 * in the lab's order; a variant's own (kvHeads, kernel) replace these in place.
 */
function points(settings: GqaSettings): LabPoint<DecodeShape>[] {
  const { batch, queryHeads, headDim, dtype, kernel, split } = settings;
  return settings.seqLen.map((seqLen) => ({
    shape: { batch, queryHeads, kvHeads: queryHeads, seqLen, headDim: Number(headDim) },
    params: { batch, queryHeads, kvHeads: queryHeads, seqLen, headDim: Number(headDim), dtype, kernel, split },
    label: `at S=${seqLen}`,
    seed: SEED + seqLen,
  }));
}

/** A variant a number of KV heads, MHA the baseline; the kernel by the device and the group, the split from the settings. */
function variants(settings: GqaSettings, gpu: LabDevice): LabVariant<DecodeShape>[] {
  const { batch, queryHeads, headDim, dtype } = settings;
  return kvHeadsOf(settings).map((kvHeads) => {
    const kernel = versionFor(settings.kernel, gpu, { batch, queryHeads, kvHeads, seqLen: 1, headDim: Number(headDim) }, dtype);
    return {
      label: variantName(settings.queryHeads, kvHeads),
      family: decode,
      version: decodeVersionName(kernel, settings.dtype),
      ...(settings.split === 'none' && { knobs: { splits: 1 } }),
      shape: { kvHeads },
      params: { kvHeads, kernel },
      baseline: kvHeads === settings.queryHeads,
    };
  });
}

/** A record's figures: its share of the copy ceiling, what it read and how, and its speedup over MHA (1 for MHA itself). */
function extra({ point, variant, seconds, bytes, baseline, ceilings }: ExtraContext<DecodeShape>): Record<string, number> {
  const shape = shapeAt(point, variant);
  const dtype = versionOf(decode, variant.version).element;
  return {
    // Achieved GB/s over the copy ceiling alone (not the bound's faster-of-copy-and-read): a read-only kernel may
    // exceed 1.
    fractionOfCopy: bytes / seconds / 1e9 / ceilings.copyGBps,
    kvBytes: kvBytes(shape, dtype),
    groupSize: shape.queryHeads / shape.kvHeads,
    splits: splitsOf(shape, variant.knobs ?? {}),
    kvCopies: kvCopies(shape, dtype),
    checkedSequences: checkedRowsOf(decode.rows(shape)).length,
    ...(variant.baseline ? { speedupOverMha: 1 } : baseline && { speedupOverMha: baseline.seconds.median / seconds }),
  };
}

export const gqa: Lab<typeof params> = {
  id: 'gqa',
  title: 'GQA: decode-time attention over a KV cache',
  description:
    'Times one decoding step of attention (one query token per sequence against its whole KV cache) for ' +
    'MHA, GQA and MQA across context lengths, with flash-decoding: the context is split across workgroups ' +
    'that each keep a running max, sum and partial output, and a second pass merges them, so even one ' +
    'sequence fills the GPU. Each K/V row is read once for all the query heads that share it. The bound ' +
    'is the bytes that must be read, 2·B·H_kv·S·d·elt plus q and the output, over this device\'s memory ' +
    'bandwidth: the faster of its copy and read bandwidths, as the probe measured them. K and V are hashed values ' +
    'filled on the GPU; the first and last sequence of the batch are checked against the CPU. The first two kernels ' +
    'widen f16 K/V to f32 with unpack2x16float, so they need no shader-f16; the third puts the query heads that share ' +
    'a KV head on the matrix units (f16, where the device offers them to WebGPU), and is the automatic choice for ' +
    'groups of 16 or more.',
  params,
  presets: [
    { label: 'Eight sequences: B=8, H_q=32, d=128, S=8192', params: { batch: 8, queryHeads: 32, kvHeads: '32, 8, 1', seqLen: '8192', headDim: '128' } },
    { label: 'One long sequence: B=1, GQA-8, S up to 32K', params: { batch: 1, queryHeads: 32, kvHeads: '8', seqLen: '4096, 8192, 16384, 32768', headDim: '128' } },
    { label: 'Llama-2-70B heads (64 query, 8 KV)', params: { batch: 1, queryHeads: 64, kvHeads: '64, 8', seqLen: '1024, 4096, 16384', headDim: '128' } },
  ],
  quick: { batch: 2, queryHeads: 8, kvHeads: '8, 2, 1', seqLen: '37, 200', headDim: '64' },
  validate,
  points,
  variants,
  extra,
  claims,
  verdict,
  figures: {
    fractionOfCopy: 'Share of copy bandwidth',
    kvBytes: 'K and V bytes',
    groupSize: 'Query heads per KV head',
    splits: 'Context splits',
    kvCopies: 'Copies of K and V cycled',
    checkedSequences: 'Sequences checked',
    speedupOverMha: 'Speedup over MHA (×)',
  },
  plots: [
    timePlot("Time per decoding step against context length, with each variant's bound", { field: 'params.seqLen', label: 'Context length S (tokens)' }),
    {
      id: 'bandwidth',
      title: 'Achieved bandwidth as a fraction of the copy ceiling (a read-only kernel can pass 1)',
      x: { field: 'params.seqLen', label: 'Context length S (tokens)', log: true },
      y: { field: 'extra.fractionOfCopy', label: 'Fraction of the copy ceiling' },
      guides: [{ label: 'copy ceiling', fn: () => 1 }],
    },
  ],
};
