// FlashAttention (Dao et al., 2022): exact attention without writing the N×N scores to device memory. This lab
// times the naive kernel (scores written, softmaxed and read back) against the tiled one (src/kernels/attention)
// over sequence lengths, and where the device offers subgroup matrices the tiled one in f16 on its matrix units,
// each against its bound, with the bytes each moves counted from its own structure.
import { matrixBlocksFor, matrixBytes, matrixRows, matrixSharedBytes, scoreBytes, tiledBytes, tiledDefaults, TILED, type MatrixBlocks, type TiledBlocks } from '../../kernels/attention/attention';
import { naiveBytes } from '../../kernels/attention/cost';
import { attention, blocksFrom, tiledBlocksFrom, type AttentionShape } from '../../kernels/attention/index';
import { versionOf } from '../../kernels/family';
import { familyDeviceOf } from '../harness';
import { HEAD_DIM_PARAM, timePlot } from '../specs';
import type { ExtraContext, Lab, LabDevice, LabVariant, SettingsOf } from '../types';
import { claims, KERNELS, verdict } from './verdict';

const MAX_SEQ_LEN = 65536;
const MAX_HEADS = 128;
const MAX_POINTS = 10;
const SEED = 13;

const params = [
  {
    name: 'seqLen',
    label: 'Sequence lengths (N)',
    kind: 'list',
    integer: true,
    default: '256, 1024, 4096',
    min: 1,
    max: MAX_SEQ_LEN,
    maxLength: MAX_POINTS,
    unit: 'tokens',
    help: 'The naive kernel stops where its N×N scores no longer fit a buffer on this device; the tiled one goes on.',
  },
  { name: 'batch', label: 'Batch (B)', kind: 'int', default: 1, min: 1, max: 64 },
  { name: 'heads', label: 'Heads (H)', kind: 'int', default: 8, min: 1, max: MAX_HEADS },
  HEAD_DIM_PARAM,
  {
    name: 'causal',
    label: 'Mask',
    kind: 'choice',
    default: 'none',
    choices: [
      { value: 'none', label: 'none: every query sees every key' },
      { value: 'causal', label: 'causal: each query sees the keys up to its own' },
    ],
  },
] as const;

export type FlashSettings = SettingsOf<typeof params>;

/** A point's shape: the settings at sequence length `seqLen`. */
export function shapeOf(settings: FlashSettings, seqLen: number): AttentionShape {
  return { batch: settings.batch, heads: settings.heads, seqLen, headDim: Number(settings.headDim), causal: settings.causal === 'causal' };
}

/**
 * The kernels this device runs, the naive one first (left out where its scores do not fit: the lab's point); the
 * tensor-core one only where the device takes it at the first N, with the largest blocks its workgroup memory holds.
 */
export function variantsOf(settings: FlashSettings, gpu: LabDevice): LabVariant<AttentionShape>[] {
  const [naive, tiled, tensorCores] = KERNELS;
  const { subgroups, keys } = matrixBlocksFor(gpu.limits);
  const matrix = { label: tensorCores, family: attention, version: 'matrix', knobs: { subgroups, keys }, params: { dtype: 'f16' } };
  const refusal = attention.refusal(familyDeviceOf(gpu), shapeOf(settings, settings.seqLen[0] ?? 1), versionOf(attention, 'matrix'), matrix.knobs);
  return [
    { label: naive, family: attention, version: 'naive', params: { dtype: 'f32' }, optional: true, baseline: true },
    { label: tiled, family: attention, version: 'tiled', params: { dtype: 'f32' } },
    ...(refusal === null ? [matrix] : []),
  ];
}

/**
 * The blocks a tiled kernel walks (`blocks` for the tensor-core one, else the f32 one's), beside the paper's rule
 * (Algorithm 1, arXiv v2): with M elements of on-chip memory, B_c = ⌈M/4d⌉ keys and B_r = min(B_c, d) rows; here M
 * is this device's workgroup memory in f32 values.
 */
export function blocksOf(blocks: MatrixBlocks | TiledBlocks, d: number, limits: Readonly<Record<string, number>>): Record<string, number> {
  const shared = limits['maxComputeWorkgroupStorageSize'] ?? 16384;
  const paperKeys = Math.ceil(shared / 4 / (4 * d));
  const paper = { paperBlockKeys: paperKeys, paperBlockRows: Math.min(paperKeys, d), workgroupLimitBytes: shared };
  if ('rows' in blocks) return { blockRows: blocks.rows, blockKeys: blocks.keys, workgroupBytes: TILED.sharedBytes, ...paper };
  return { blockRows: matrixRows(blocks), blockKeys: blocks.keys, workgroupBytes: matrixSharedBytes(blocks), ...paper };
}

/** The bytes each kernel moves, counted from its structure; the naive one's scores; the tiled ones' blocks and speedup. */
function extra({ point, variant, seconds, baseline, gpu }: ExtraContext<AttentionShape>): Record<string, number> {
  const { shape } = point;
  if (variant.version === 'naive') return { bytesMoved: naiveBytes(shape, 4), scoreBytes: scoreBytes(shape) };
  const blocks = variant.version === 'matrix' ? blocksFrom(variant.knobs ?? {}) : tiledBlocksFrom(variant.knobs ?? {});
  return {
    bytesMoved: 'subgroups' in blocks ? matrixBytes(shape, blocks) : tiledBytes(shape, 4, blocks),
    ...blocksOf(blocks, shape.headDim, gpu.limits),
    ...(baseline && { speedupOverNaive: baseline.seconds.median / seconds }),
  };
}

export const flashAttention: Lab<typeof params> = {
  id: 'flash-attention',
  title: 'FlashAttention: attention without the N×N matrix',
  description:
    'Times exact attention, O = softmax(QKᵀ/√d)·V for every head, two ways. The naive kernel writes the N×N scores ' +
    'to device memory (one matrix product for all heads), turns them into probabilities in place and multiplies them ' +
    'by V: it moves about 4N² values a head and needs N² of memory, so it stops where a buffer of them no longer fits ' +
    `this device. The tiled kernel gives each workgroup ${tiledDefaults.rows} query rows and walks the keys ${tiledDefaults.keys} at a time ` +
    'through workgroup memory, keeping each row\'s running maximum and sum (the online softmax) and rescaling its output ' +
    'as it goes; the scores never leave the chip. Both run in f32 on the FMA units. Where this device offers subgroup ' +
    'matrices, the tiled kernel runs a third time in f16 on its matrix units (tensor cores), both products there and ' +
    'the softmax in f32. The bound is the larger of the FLOPs ' +
    '(4N²d a head, about half with the causal mask) over this device\'s FMA rate (its matrix units\' rate for the f16 run) and the fewest bytes (Q, K, V read once, ' +
    'O written once) over its bandwidth. Rows of the first and last head are checked against the CPU.',
  params,
  presets: [
    { label: 'N from 256 to 16K, 8 heads, d = 128', params: { seqLen: '256, 1024, 4096, 16384', heads: 8, headDim: '128', causal: 'none' } },
    { label: 'The paper\'s GPT-2 medium shape: 16 heads, d = 64', params: { seqLen: '512, 1024, 2048', batch: 4, heads: 16, headDim: '64', causal: 'none' } },
    { label: 'Causal, 32 heads, d = 128, up to N = 4096', params: { seqLen: '1024, 2048, 4096', heads: 32, headDim: '128', causal: 'causal' } },
  ],
  quick: { seqLen: '37, 130', batch: 1, heads: 2, headDim: '64', causal: 'causal' },
  points: (settings) =>
    [...new Set(settings.seqLen)]
      .sort((a, b) => a - b)
      .map((seqLen) => ({
        shape: shapeOf(settings, seqLen),
        params: { seqLen, batch: settings.batch, heads: settings.heads, headDim: Number(settings.headDim), causal: settings.causal },
        label: `at N=${seqLen}`,
        seed: SEED + seqLen,
      })),
  variants: variantsOf,
  extra,
  claims,
  verdict,
  figures: {
    dtype: 'Precision',
    bytesMoved: 'Bytes moved (counted from the kernel)',
    speedupOverNaive: 'Speedup over naive (×)',
    scoreBytes: 'Bytes of the N×N scores',
    blockRows: 'Query rows a block',
    blockKeys: 'Keys a block',
    workgroupBytes: 'Workgroup memory used (bytes)',
    workgroupLimitBytes: "This device's workgroup memory (bytes)",
    paperBlockKeys: "Keys a block by the paper's rule",
    paperBlockRows: "Query rows a block by the paper's rule",
  },
  plots: [
    timePlot('Time against sequence length, each kernel with its bound', { field: 'params.seqLen', label: 'Sequence length N' }),
    {
      id: 'rate',
      title: 'Arithmetic rate against sequence length',
      x: { field: 'params.seqLen', label: 'Sequence length N', log: true },
      y: { field: 'achieved.gflops', label: 'Arithmetic rate', unit: 'GFLOP/s', log: true },
    },
    {
      id: 'traffic',
      title: 'Bytes each kernel moves to and from device memory (dashed: the fewest any kernel must)',
      x: { field: 'params.seqLen', label: 'Sequence length N', log: true },
      y: { field: 'extra.bytesMoved', label: 'Bytes moved', unit: 'bytes', log: true },
      bound: 'bytes',
    },
  ],
};
