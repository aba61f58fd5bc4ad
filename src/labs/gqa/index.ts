// GQA (Ainslie et al., 2023) at decode time: one new token attends over its whole KV cache, so a step
// reads 2·B·H_kv·S·d·elt bytes and GQA divides them by H_q/H_kv. This lab times the flash-decoding kernel
// (src/kernels/decode) for MHA, GQA and MQA over a sweep of context lengths against that bound.
import { kvBytes, decodeBytes, decodeFlops } from '../../kernels/decode/cost';
import {
  chooseSplits,
  createDecodeScratch,
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
} from '../../kernels/decode/decode';
import { decodeTolerance, sequenceReference } from '../../kernels/decode/decode.reference';
import { fillHashed } from '../../kernels/gpu/hashed';
import { Random } from '../../kernels/gpu/random';
import type { GpuContext, Prepared } from '../../kernels/gpu/types';
import type { RunRecord } from '../../schemas/results';
import { checkOutput, pause, Resources, runOnce, timeRuns } from '../harness';
import { makeRecord } from '../record';
import { HEAD_DIM_PARAM, timePlot } from '../specs';
import type { Lab, LabContext, SettingsOf } from '../types';
import { runsOf } from '../verdict';
import { claimSchema } from '../../schemas/claim';

const MAX_HEADS = 256;
const MAX_BATCH = 256;
const MAX_SEQ_LEN = 1 << 22;
const MAX_POINTS = 24;
/**
 * Repetitions cycle through copies of K and V until they hold this much, so a cache smaller than the L2
 * (50 MB on an H100) is read from memory, as a model's would be with every other layer in between.
 */
const WORKING_SET_BYTES = 256 * 1024 * 1024;
const MAX_COPIES = 4;
const SEED = 5;
/** The fewest splits (see planFor). */
const MIN_SPLITS = 2;
/** The subgroup size validate assumes when it is given limits and features but no device (the common 32). */
const ASSUMED_SUBGROUP = 32;

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
    help: 'How K and V are stored; q, the output and the sums are f32.',
  },
  {
    name: 'kernel',
    label: 'Kernel',
    kind: 'choice',
    default: 'auto',
    choices: [
      { value: 'auto', label: 'auto (subgroups where offered)' },
      { value: 'subgroup', label: 'version 2: subgroup shuffles' },
      { value: 'workgroup', label: 'version 1: workgroup memory' },
    ],
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

/** The kernel version to run: `auto` takes version 2 where the device has subgroups. */
export function versionFor(kernel: Kernel, features: ReadonlySet<string>): DecodeVersion {
  if (kernel !== 'auto') return kernel;
  return features.has('subgroups') ? 'subgroup' : 'workgroup';
}

/**
 * Tuned on the H100 (2026-11-22, version 2): about 256 workgroups (chooseSplits' default, two per multiprocessor)
 * but at least two splits, two rows per lane and step for f32 and four for f16. Against 512 workgroups, B=1 GQA-8 at S=32768
 * took 117 instead of 146 µs in f32; one split made MHA at B=8 slower. Elsewhere this is a start, not a measurement.
 */
export function planFor(shape: DecodeShape, settings: Pick<GqaSettings, 'dtype' | 'split'>, version: DecodeVersion, subgroupMinSize: number): DecodePlan {
  const splits = settings.split === 'none' ? 1 : Math.min(Math.max(MIN_SPLITS, chooseSplits(shape)), shape.seqLen);
  return planDecode(shape, { version, dtype: settings.dtype, splits, rowsPerStep: settings.dtype === 'f16' ? 4 : 2 }, subgroupMinSize);
}

/** The shape of one point. */
export function shapeOf(settings: GqaSettings, kvHeads: number, seqLen: number): DecodeShape {
  return { batch: settings.batch, queryHeads: settings.queryHeads, kvHeads, seqLen, headDim: Number(settings.headDim) };
}

/** How many copies of K and V the timed repetitions cycle through. */
export function kvCopies(shape: DecodeShape, dtype: KvDtype): number {
  return Math.max(1, Math.min(MAX_COPIES, Math.ceil(WORKING_SET_BYTES / kvBytes(shape, dtype))));
}

function validate(settings: GqaSettings, gpu: Pick<GpuContext, 'limits' | 'features'> & { device?: GPUDevice }): string | null {
  const notDividing = settings.kvHeads.find((h) => settings.queryHeads % h !== 0);
  if (notDividing !== undefined) return `Each number of KV heads must divide the ${settings.queryHeads} query heads; ${notDividing} does not.`;
  if (settings.kernel === 'subgroup' && !gpu.features.has('subgroups')) {
    return 'The subgroup kernel needs subgroups, which this device does not offer: choose auto or the workgroup kernel.';
  }
  const version = versionFor(settings.kernel, gpu.features);
  const subgroupMinSize = gpu.device ? subgroupMinSizeOf(gpu.device) : ASSUMED_SUBGROUP;
  const { limits } = gpu;
  for (const kvHeads of kvHeadsOf(settings)) {
    for (const seqLen of settings.seqLen) {
      const shape = shapeOf(settings, kvHeads, seqLen);
      const problem = shapeProblem(shape, settings.dtype);
      if (problem) return problem;
      let plan: DecodePlan;
      try {
        plan = planFor(shape, settings, version, subgroupMinSize);
      } catch (error) {
        return (error as Error).message;
      }
      const refusal = decodeRefusal(limits, plan, `${variantName(settings.queryHeads, kvHeads)} at S=${seqLen}`);
      if (refusal) return refusal;
    }
  }
  return null;
}

/** The sequences whose outputs are checked: the first and the last, so offsets at both ends of the cache are covered. */
function checkedSequences(batch: number): number[] {
  return batch === 1 ? [0] : [0, batch - 1];
}

async function* run(ctx: LabContext, settings: GqaSettings): AsyncIterable<RunRecord> {
  const { device } = ctx.gpu;
  const version = versionFor(settings.kernel, ctx.gpu.features);
  const subgroupMinSize = subgroupMinSizeOf(device);
  const variants = kvHeadsOf(settings);
  const total = variants.length * settings.seqLen.length;
  const mhaSeconds = new Map<number, number>();
  let done = 0;
  for (const kvHeads of variants) {
    const variant = variantName(settings.queryHeads, kvHeads);
    for (const seqLen of settings.seqLen) {
      ctx.progress(done++, total, `${variant} at S=${seqLen}`);
      const shape = shapeOf(settings, kvHeads, seqLen);
      const plan = planFor(shape, settings, version, subgroupMinSize);
      const gpu = new Resources(ctx, 'gqa');
      try {
        const bytes = decodeBufferBytes(plan);
        const elements = shape.batch * kvHeads * seqLen * shape.headDim;
        // q: (batch, queryHeads, headDim) f32
        const q = new Random(SEED + seqLen).fill(new Float32Array(bytes.q / 4), { kind: 'gaussian', mean: 0, std: 1 });
        const qBuffer = gpu.from(q, GPUBufferUsage.STORAGE, 'q');
        // out: (batch, queryHeads, headDim) f32
        const out = gpu.empty(bytes.out, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'out');
        const scratch = createDecodeScratch(device, plan);
        gpu.own(scratch.partialOut);
        gpu.own(scratch.partialStats);
        const copies: { seeds: { k: number; v: number }; dispatch: Prepared }[] = [];
        for (let copy = 0; copy < kvCopies(shape, settings.dtype); copy++) {
          const seeds = { k: 2 * copy + 1, v: 2 * copy + 2 };
          // k, v: (batch, kvHeads, seqLen, headDim) in dtype, hashed values
          const k = gpu.empty(bytes.kv, GPUBufferUsage.STORAGE, `k ${copy}`);
          const v = gpu.empty(bytes.kv, GPUBufferUsage.STORAGE, `v ${copy}`);
          fillHashed(device, k, elements, settings.dtype, seeds.k);
          fillHashed(device, v, elements, settings.dtype, seeds.v);
          copies.push({ seeds, dispatch: gpu.own(prepareDecode(device, plan, { q: qBuffer, k, v, out, ...scratch })) });
        }
        const actual = await runOnce(ctx, (pass) => copies[0]!.dispatch.encode(pass), out, bytes.out, `gqa ${variant}`);
        const sequenceLength = settings.queryHeads * shape.headDim;
        const sequences = checkedSequences(shape.batch);
        const expected = new Float32Array(sequences.length * sequenceLength);
        const observed = new Float32Array(sequences.length * sequenceLength);
        for (const [i, sequence] of sequences.entries()) {
          expected.set(sequenceReference(shape, q, sequence, copies[0]!.seeds), i * sequenceLength);
          observed.set(actual.subarray(sequence * sequenceLength, (sequence + 1) * sequenceLength), i * sequenceLength);
          await pause(ctx.signal);
        }
        const check = checkOutput(observed, expected, decodeTolerance(expected), `gqa ${variant} at S=${seqLen}`);
        const timing = await timeRuns(ctx, check, `The ${variant} decode step at a context of ${seqLen} tokens`, (pass, rep) => copies[rep % copies.length]!.dispatch.encode(pass));
        const seconds = timing.seconds.median;
        if (kvHeads === settings.queryHeads) mhaSeconds.set(seqLen, seconds);
        const mha = mhaSeconds.get(seqLen);
        const gbps = decodeBytes(shape, settings.dtype) / seconds / 1e9;
        yield makeRecord({
          lab: 'gqa',
          variant,
          params: { batch: shape.batch, queryHeads: shape.queryHeads, kvHeads, seqLen, headDim: shape.headDim, dtype: settings.dtype, kernel: version, split: settings.split },
          timing,
          flops: decodeFlops(shape),
          bytes: decodeBytes(shape, settings.dtype),
          ceilings: ctx.ceilings,
          check,
          // f16 K/V are widened and summed in f32: the f32 rate bounds the arithmetic.
          unit: 'fp32',
          // One step a pass: the combine pass waits for the split pass.
          extraDispatches: copies[0]!.dispatch.dispatches - 1,
          extra: {
            // Achieved GB/s over the copy ceiling alone (not the bound's faster-of-copy-and-read): a read-only
            // kernel may exceed 1.
            fractionOfCopy: gbps / ctx.ceilings.copyGBps,
            kvBytes: kvBytes(shape, settings.dtype),
            groupSize: settings.queryHeads / kvHeads,
            splits: plan.splits,
            kvCopies: copies.length,
            checkedSequences: sequences.length,
            ...(mha !== undefined && { speedupOverMha: mha / seconds }),
          },
        });
      } finally {
        gpu.destroy();
      }
    }
  }
  ctx.progress(total, total, 'done');
}

/** Table 1: seconds per sample of uptrained T5-XXL (Ainslie et al., 2023), MHA against GQA-8 (and MQA). */
const claims = claimSchema.array().parse([
  { what: 'per sample, MHA', value: 1.51, unit: ' s', conditions: { kvHeads: 'MHA' }, setting: 'T5-XXL', source: 'Table 1', version: 'arXiv 2305.13245' },
  { what: 'per sample, GQA-8 uptrained', value: 0.28, unit: ' s', conditions: { kvHeads: 8 }, setting: 'T5-XXL', source: 'Table 1', version: 'arXiv 2305.13245' },
]);

/**
 * At the longest context of the run: how much faster than MHA the grouped variant (GQA, else MQA) decoded, against
 * the ideal (the KV bytes' ratio) and the paper's end-to-end times.
 */
function verdict(records: RunRecord[], subject: string): string | null {
  const pairs = runsOf(records, ['kvHeads', 'seqLen']).map((run) => {
    const longest = Math.max(...run.map((record) => Number(record.params['seqLen'])));
    const at = run.filter((record) => record.params['seqLen'] === longest);
    const grouped = at.find((record) => record.variant.startsWith('GQA')) ?? at.find((record) => record.variant === 'MQA');
    return { longest, mha: at.find((record) => record.variant === 'MHA'), grouped };
  });
  const pair = pairs.find(({ mha, grouped }) => mha && grouped);
  if (!pair) return null;
  const { longest, mha, grouped } = pair as { longest: number; mha: RunRecord; grouped: RunRecord };
  const [mhaClaim, gqaClaim] = claims;
  return (
    `At a context of ${longest} tokens ${subject} ran ${grouped.variant}'s decode step ${(mha.seconds.median / grouped.seconds.median).toFixed(2)}× as fast ` +
    `as MHA's; it reads ${(mha.bytes / grouped.bytes).toFixed(2)}× fewer bytes, so that is the ideal. The paper's whole models: ` +
    `${gqaClaim!.value} s against ${mhaClaim!.value} s per sample for GQA-8 and MHA (${gqaClaim!.setting}; Ainslie et al., ` +
    `${gqaClaim!.source}, ${gqaClaim!.version}), ${(mhaClaim!.value / gqaClaim!.value).toFixed(1)}×.`
  );
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
    'filled on the GPU; the first and last sequence of the batch are checked against the CPU. f16 K/V are ' +
    'widened to f32 with unpack2x16float, so they need no shader-f16.',
  params,
  presets: [
    { label: 'Eight sequences: B=8, H_q=32, d=128, S=8192', params: { batch: 8, queryHeads: 32, kvHeads: '32, 8, 1', seqLen: '8192', headDim: '128' } },
    { label: 'One long sequence: B=1, GQA-8, S up to 32K', params: { batch: 1, queryHeads: 32, kvHeads: '8', seqLen: '4096, 8192, 16384, 32768', headDim: '128' } },
    { label: 'Llama-2-70B heads (64 query, 8 KV)', params: { batch: 1, queryHeads: 64, kvHeads: '64, 8', seqLen: '1024, 4096, 16384', headDim: '128' } },
  ],
  quick: { batch: 2, queryHeads: 8, kvHeads: '8, 2, 1', seqLen: '37, 200', headDim: '64' },
  validate,
  cost(settings) {
    return kvHeadsOf(settings).flatMap((kvHeads) =>
      settings.seqLen.map((seqLen) => {
        const shape = shapeOf(settings, kvHeads, seqLen);
        return { flops: decodeFlops(shape), bytes: decodeBytes(shape, settings.dtype), unit: 'fp32' as const, extraDispatches: 1 };
      }),
    );
  },
  run,
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
    timePlot("Time per decoding step against context length, with each variant's bound", { field: 'params.seqLen', label: 'context length S (tokens)' }),
    {
      id: 'bandwidth',
      title: 'Achieved bandwidth as a fraction of the copy ceiling (a read-only kernel can pass 1)',
      x: { field: 'params.seqLen', label: 'context length S (tokens)', log: true },
      y: { field: 'extra.fractionOfCopy', label: 'fraction of the copy ceiling' },
      guides: [{ label: 'copy ceiling', fn: () => 1 }],
    },
  ],
};
