// FlashAttention (Dao et al., 2022): exact attention without writing the N×N scores to device memory. This lab
// times the naive kernel (scores written, softmaxed and read back) against the tiled one (src/kernels/attention)
// over sequence lengths, and where the device offers subgroup matrices the tiled one in f16 on its matrix units,
// each against its bound, with the bytes each moves counted from its own structure.
import {
  matrixAttentionRefusal,
  matrixBlocksFor,
  matrixBytes,
  matrixInputElements,
  matrixRows,
  matrixSharedBytes,
  naiveRefusal,
  prepareMatrixAttention,
  prepareNaiveAttention,
  prepareTiledAttention,
  scoreBytes,
  tiledBytes,
  tiledRefusal,
  TILED,
  TILED_SHARED_BYTES,
} from '../../kernels/attention/attention';
import { attentionRows } from '../../kernels/attention/attention.reference';
import { attentionFlops, fewestBytes, naiveBytes, type AttentionShape } from '../../kernels/attention/cost';
import { splitsOf } from '../../kernels/gemm/gemm';
import { fromHalfBits, toHalfBits } from '../../kernels/gpu/f16';
import { Random } from '../../kernels/gpu/random';
import type { GpuContext, Prepared } from '../../kernels/gpu/types';
import type { RunRecord } from '../../schemas/results';
import { claimSchema } from '../../schemas/claim';
import { checkOutput, matrixDeviceOf, pause, Resources, runOnce, timeRuns, type LabDevice } from '../harness';
import { makeRecord } from '../record';
import { HEAD_DIM_PARAM, timePlot } from '../specs';
import type { Lab, LabContext, SettingsOf } from '../types';
import { runsOf } from '../verdict';

const MAX_SEQ_LEN = 65536;
const MAX_HEADS = 128;
const MAX_POINTS = 10;
const SEED = 13;
/**
 * Against values of about 1: f32 sums over N keys in another order than the f64 reference stay far under 1e-4; the
 * tensor-core kernel rounds its probabilities and its output to f16 (2^-11 each), so 3e-3.
 */
const TOLERANCE = { f32: 1e-4, f16: 3e-3 };

/** The kernels, in the reader's words: the naive and tiled ones in f32, the tiled one in f16 on the tensor cores. */
export const KERNELS = ['naive', 'tiled', 'tiled, tensor cores'] as const;
export type Kernel = (typeof KERNELS)[number];
const dtypeOf = (kernel: Kernel) => (kernel === 'tiled, tensor cores' ? 'f16' : 'f32');

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

export function shapeOf(settings: FlashSettings, seqLen: number): AttentionShape {
  return { batch: settings.batch, heads: settings.heads, seqLen, headDim: Number(settings.headDim), causal: settings.causal === 'causal' };
}

/** The naive kernel's dispatches: its two GEMMs (each two where K is split) and the softmax. */
function naiveDispatches(shape: AttentionShape): number {
  const entries = shape.batch * shape.heads;
  const { seqLen: n, headDim: d } = shape;
  const gemm = (m: number, cols: number, k: number) => (splitsOf({ m, n: cols, k, batch: entries }, 'tiled') > 1 ? 2 : 1);
  return gemm(n, n, d) + 1 + gemm(n, d, n);
}

/** The kernels this device runs: the tensor-core one only where it offers subgroup matrices (at the first N). */
export function kernelsOf(settings: FlashSettings, gpu: LabDevice): Kernel[] {
  const shape = shapeOf(settings, settings.seqLen[0] ?? 1);
  return KERNELS.filter((kernel) => kernel !== 'tiled, tensor cores' || matrixAttentionRefusal(matrixDeviceOf(gpu), shape) === null);
}

/**
 * The blocks each tiled kernel walks, beside the paper's rule (Algorithm 1, arXiv v2): with M elements of on-chip
 * memory, B_c = ⌈M/4d⌉ keys and B_r = min(B_c, d) rows; here M is this device's workgroup memory in f32 values.
 */
export function blocksOf(kernel: Kernel, d: number, limits: Readonly<Record<string, number>>): Record<string, number> {
  const shared = limits['maxComputeWorkgroupStorageSize'] ?? 16384;
  const paperKeys = Math.ceil(shared / 4 / (4 * d));
  const paper = { paperBlockKeys: paperKeys, paperBlockRows: Math.min(paperKeys, d), workgroupLimitBytes: shared };
  if (kernel === 'tiled') return { blockRows: TILED.rows, blockKeys: TILED.keys, workgroupBytes: TILED_SHARED_BYTES, ...paper };
  const blocks = matrixBlocksFor(limits);
  return { blockRows: matrixRows(blocks), blockKeys: blocks.keys, workgroupBytes: matrixSharedBytes(blocks), ...paper };
}

function validate(settings: FlashSettings, gpu: Pick<GpuContext, 'limits' | 'features'>): string | null {
  for (const seqLen of settings.seqLen) {
    const refusal = tiledRefusal(gpu.limits, shapeOf(settings, seqLen));
    if (refusal) return `At N=${seqLen}: ${refusal}`;
  }
  return null;
}

/** Rows 0 and N−1 of the first head and of the last: what each run is checked on. */
function checkedRows(shape: AttentionShape): { head: { b: number; h: number }; rows: number[] }[] {
  const rows = shape.seqLen === 1 ? [0] : [0, shape.seqLen - 1];
  const heads = [{ b: 0, h: 0 }];
  if (shape.batch * shape.heads > 1) heads.push({ b: shape.batch - 1, h: shape.heads - 1 });
  return heads.map((head) => ({ head, rows }));
}

/** Q, K and V as the kernel gets them (f16 bits padded for the tensor-core kernel) and as the reference sees them. */
function inputsOf(shape: AttentionShape, kernel: Kernel, values: Float32Array[], limits: Readonly<Record<string, number>>): ArrayBufferView[] {
  if (dtypeOf(kernel) === 'f32') return values;
  const elements = matrixInputElements(shape, matrixBlocksFor(limits));
  return values.map((value) => {
    const bits = new Uint16Array(elements + (elements % 2));
    for (let i = 0; i < value.length; i++) bits[i] = toHalfBits(value[i]!);
    return bits;
  });
}

async function* run(ctx: LabContext, settings: FlashSettings): AsyncIterable<RunRecord> {
  const { device } = ctx.gpu;
  const lengths = [...new Set(settings.seqLen)].sort((a, b) => a - b);
  const kernels = kernelsOf(settings, ctx.gpu);
  const total = kernels.length * lengths.length;
  let done = 0;
  for (const seqLen of lengths) {
    const shape = shapeOf(settings, seqLen);
    const { batch, heads, headDim: d } = shape;
    const size = batch * heads * seqLen * d;
    ctx.progress(done, total, `inputs for N=${seqLen}`);
    const random = new Random(SEED + seqLen);
    const exact = [0, 1, 2].map(() => random.fill(new Float32Array(size), { kind: 'gaussian', mean: 0, std: 1 }));
    // The f16 kernel is checked against the reference on its own (rounded) inputs.
    const halved = kernels.includes('tiled, tensor cores') ? exact.map((values) => Float32Array.from(values, (value) => fromHalfBits(toHalfBits(value)))) : [];
    const expectedOf = ([q, k, v]: Float32Array[]) => checkedRows(shape).flatMap(({ head, rows }) => Array.from(attentionRows(shape, q!, k!, v!, head, rows)));
    const expected = { f32: expectedOf(exact), f16: halved.length ? expectedOf(halved) : [] };
    await pause(ctx.signal);
    let naiveSeconds: number | undefined;
    for (const kernel of kernels) {
      ctx.progress(done++, total, `${kernel} at N=${seqLen}`);
      // The naive kernel's scores may not fit this device at this N: that is the point the lab makes, so the run
      // goes on with the tiled kernels alone.
      if (kernel === 'naive' && naiveRefusal(ctx.gpu.limits, shape)) continue;
      const dtype = dtypeOf(kernel);
      const elementBytes = dtype === 'f16' ? 2 : 4;
      const gpu = new Resources(ctx, 'flash-attention');
      try {
        const [q, k, v] = inputsOf(shape, kernel, exact, ctx.gpu.limits).map((data, i) => gpu.from(data, GPUBufferUsage.STORAGE, 'qkv'[i]!));
        const outBytes = 4 * Math.ceil((elementBytes * size) / 4);
        const buffers = { q: q!, k: k!, v: v!, o: gpu.empty(outBytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'o') };
        const prepared: Prepared =
          kernel === 'naive'
            ? prepareNaiveAttention(device, shape, { ...buffers, scores: gpu.empty(scoreBytes(shape), GPUBufferUsage.STORAGE, 'scores') })
            : kernel === 'tiled'
              ? prepareTiledAttention(device, shape, buffers)
              : prepareMatrixAttention(device, shape, buffers);
        const attention = gpu.own(prepared);
        const raw = await runOnce(ctx, attention.encode, buffers.o, outBytes, `${kernel} attention`);
        const o = dtype === 'f16' ? Float32Array.from(new Uint16Array(raw.buffer, raw.byteOffset, size), fromHalfBits) : raw;
        const actual = checkedRows(shape).flatMap(({ head, rows }) =>
          rows.flatMap((row) => Array.from(o.subarray(((head.b * heads + head.h) * seqLen + row) * d, ((head.b * heads + head.h) * seqLen + row + 1) * d))),
        );
        const check = checkOutput(actual, expected[dtype], { tolerance: TOLERANCE[dtype], floor: 1 }, `${kernel} attention at N=${seqLen}`);
        const timing = await timeRuns(ctx, check, `The ${kernel} kernel at N=${seqLen}`, attention.encode);
        const seconds = timing.seconds.median;
        if (kernel === 'naive') naiveSeconds = seconds;
        const moved = kernel === 'naive' ? naiveBytes(shape, 4) : kernel === 'tiled' ? tiledBytes(shape, 4) : matrixBytes(shape, matrixBlocksFor(ctx.gpu.limits));
        yield makeRecord({
          lab: 'flash-attention',
          variant: kernel,
          params: { seqLen, batch, heads, headDim: d, causal: settings.causal, dtype },
          timing,
          flops: attentionFlops(shape),
          bytes: fewestBytes(shape, elementBytes),
          ceilings: ctx.ceilings,
          check,
          unit: dtype === 'f16' ? 'f16-matrix' : 'fp32',
          extraDispatches: attention.dispatches - 1,
          extra: {
            bytesMoved: moved,
            ...(kernel !== 'naive' && blocksOf(kernel, d, ctx.gpu.limits)),
            ...(kernel !== 'naive' && naiveSeconds !== undefined && { speedupOverNaive: naiveSeconds / seconds }),
            ...(kernel === 'naive' && { scoreBytes: scoreBytes(shape) }),
          },
        });
      } finally {
        gpu.destroy();
      }
    }
  }
  ctx.progress(total, total, 'done');
}

/** Figure 2 (left), arXiv 2205.14135 v2: GPT-2 medium attention, forward and backward, on an A100. */
const claims = claimSchema.array().parse([
  { what: 'standard attention', value: 41.7, unit: ' ms', conditions: { variant: 'naive' }, setting: 'GPT-2 medium on an A100, sequence 1024, forward and backward', source: 'Figure 2 (left)', version: 'arXiv 2205.14135v2' },
  { what: 'FlashAttention', value: 7.3, unit: ' ms', conditions: { variant: 'tiled' }, setting: 'GPT-2 medium on an A100, sequence 1024, forward and backward', source: 'Figure 2 (left)', version: 'arXiv 2205.14135v2' },
]);

const tflops = (record: RunRecord) => `${(record.achieved.gflops / 1000).toPrecision(3)} TFLOP/s`;
const kib = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;

/** The tiled kernel's blocks against the paper's rule, from a record's extras. */
function blocksSentence(record: RunRecord): string {
  const x = record.extra!;
  return (
    `Its blocks: ${x['blockRows']} query rows by ${x['blockKeys']} keys in ${kib(x['workgroupBytes']!)} of this device's ${kib(x['workgroupLimitBytes']!)} ` +
    `of workgroup memory; the paper's rule, B_c = ⌈M/4d⌉ with M that memory in f32 values, gives ${x['paperBlockKeys']} keys by ${x['paperBlockRows']} rows. `
  );
}

/**
 * At the longest N both f32 kernels ran: the tiled kernel's speedup and the bytes each moved, where the naive one
 * stopped, the tensor-core kernel's rate against its ceiling, the blocks, and the paper's figure.
 */
function verdict(records: RunRecord[], subject: string): string | null {
  for (const run of runsOf(records, ['seqLen'])) {
    const of = (kernel: Kernel) => run.filter((record) => record.variant === kernel);
    const [naive, tiled, matrix] = KERNELS.map(of) as [RunRecord[], RunRecord[], RunRecord[]];
    const at = tiled.filter((t) => naive.some((n) => n.params['seqLen'] === t.params['seqLen'])).at(-1) ?? tiled.at(-1);
    if (!at) continue;
    const n = naive.find((record) => record.params['seqLen'] === at.params['seqLen']);
    const [standard, flash] = claims;
    const longestNaive = Math.max(0, ...naive.map((record) => Number(record.params['seqLen'])));
    const longestTiled = Math.max(...tiled.map((record) => Number(record.params['seqLen'])));
    const fastest = matrix.at(-1);
    return (
      (n
        ? `At N=${at.params['seqLen']} ${subject} ran the tiled kernel ${(n.seconds.median / at.seconds.median).toFixed(2)}× as fast as the naive one ` +
          `(${tflops(at)} against ${tflops(n)}), moving ${(n.extra!['bytesMoved']! / at.extra!['bytesMoved']!).toFixed(1)}× fewer bytes. `
        : `At N=${at.params['seqLen']} ${subject} ran the tiled kernel at ${tflops(at)}. `) +
      (longestTiled > longestNaive ? `The naive kernel's N×N scores did not fit beyond N=${longestNaive || 'the first length'}; the tiled kernel went on to N=${longestTiled}. ` : '') +
      (fastest
        ? `On the tensor cores in f16, at N=${fastest.params['seqLen']}: ${tflops(fastest)}, ${(100 * fastest.fractionOfBound).toFixed(1)}% of ` +
          `${fastest.bound.limitedBy === 'compute' ? 'their measured ceiling' : 'its memory bound'}. `
        : '') +
      `The paper: ${flash!.value} ms against ${standard!.value} ms for standard attention (${flash!.setting}; Dao et al., ${flash!.source}, ${flash!.version}), ` +
      `${(standard!.value / flash!.value).toFixed(1)}×. ` +
      blocksSentence(at)
    ).trim();
  }
  return null;
}

export const flashAttention: Lab<typeof params> = {
  id: 'flash-attention',
  title: 'FlashAttention: attention without the N×N matrix',
  description:
    'Times exact attention, O = softmax(QKᵀ/√d)·V for every head, two ways. The naive kernel writes the N×N scores ' +
    'to device memory (one matrix product for all heads), turns them into probabilities in place and multiplies them ' +
    'by V: it moves about 4N² values a head and needs N² of memory, so it stops where a buffer of them no longer fits ' +
    `this device. The tiled kernel gives each workgroup ${TILED.rows} query rows and walks the keys ${TILED.keys} at a time ` +
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
  validate,
  cost(settings) {
    return settings.seqLen.flatMap((seqLen) => {
      const shape = shapeOf(settings, seqLen);
      const common = { flops: attentionFlops(shape), bytes: fewestBytes(shape, 4), unit: 'fp32' as const };
      return [
        { ...common, extraDispatches: naiveDispatches(shape) - 1 },
        { ...common, extraDispatches: 0 },
      ];
    });
  },
  run,
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
    timePlot('Time against sequence length, each kernel with its bound', { field: 'params.seqLen', label: 'sequence length N' }),
    {
      id: 'rate',
      title: 'Arithmetic rate against sequence length',
      x: { field: 'params.seqLen', label: 'sequence length N', log: true },
      y: { field: 'achieved.gflops', label: 'GFLOP/s', log: true },
    },
    {
      id: 'traffic',
      title: 'Bytes each kernel moves to and from device memory (dashed: the fewest any kernel must)',
      x: { field: 'params.seqLen', label: 'sequence length N', log: true },
      y: { field: 'extra.bytesMoved', label: 'bytes', log: true },
      bound: 'bytes',
    },
  ],
};
