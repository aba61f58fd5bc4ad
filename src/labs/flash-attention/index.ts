// FlashAttention (Dao et al., 2022): exact attention without writing the N×N scores to device memory. This lab
// times the naive kernel (scores written, softmaxed and read back) against the tiled one (src/kernels/attention)
// over sequence lengths, each against its bound, with the bytes each moves counted from its own structure.
import { naiveRefusal, prepareNaiveAttention, prepareTiledAttention, scoreBytes, tiledBytes, tiledRefusal, TILED } from '../../kernels/attention/attention';
import { attentionRows } from '../../kernels/attention/attention.reference';
import { attentionFlops, fewestBytes, naiveBytes, type AttentionShape } from '../../kernels/attention/cost';
import { splitsOf } from '../../kernels/gemm/gemm';
import { Random } from '../../kernels/gpu/random';
import type { GpuContext, Prepared } from '../../kernels/gpu/types';
import type { RunRecord } from '../../schemas/results';
import { claimSchema } from '../../schemas/claim';
import { checkOutput, pause, Resources, runOnce, timeRuns } from '../harness';
import { makeRecord } from '../record';
import { HEAD_DIM_PARAM, timePlot } from '../specs';
import type { Lab, LabContext, SettingsOf } from '../types';
import { runsOf } from '../verdict';

const MAX_SEQ_LEN = 65536;
const MAX_HEADS = 128;
const MAX_POINTS = 10;
const SEED = 13;
/** f32 sums over N keys in another order than the f64 reference: far under this, against values of about 1. */
const TOLERANCE = 1e-4;

export type Version = 'naive' | 'tiled';

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

async function* run(ctx: LabContext, settings: FlashSettings): AsyncIterable<RunRecord> {
  const { device } = ctx.gpu;
  const lengths = [...new Set(settings.seqLen)].sort((a, b) => a - b);
  const total = 2 * lengths.length;
  let done = 0;
  for (const seqLen of lengths) {
    const shape = shapeOf(settings, seqLen);
    const { batch, heads, headDim: d } = shape;
    const size = batch * heads * seqLen * d;
    ctx.progress(done, total, `inputs for N=${seqLen}`);
    const random = new Random(SEED + seqLen);
    const [q, k, v] = [0, 1, 2].map(() => random.fill(new Float32Array(size), { kind: 'gaussian', mean: 0, std: 1 })) as [Float32Array, Float32Array, Float32Array];
    const expected = checkedRows(shape).flatMap(({ head, rows }) => Array.from(attentionRows(shape, q, k, v, head, rows)));
    await pause(ctx.signal);
    let naiveSeconds: number | undefined;
    for (const version of ['naive', 'tiled'] as Version[]) {
      ctx.progress(done++, total, `${version} at N=${seqLen}`);
      // The naive kernel's scores may not fit this device at this N: that is the point the lab makes, so the run
      // goes on with the tiled kernel alone.
      if (version === 'naive' && naiveRefusal(ctx.gpu.limits, shape)) continue;
      const gpu = new Resources(ctx, 'flash-attention');
      try {
        const buffers = {
          q: gpu.from(q, GPUBufferUsage.STORAGE, 'q'),
          k: gpu.from(k, GPUBufferUsage.STORAGE, 'k'),
          v: gpu.from(v, GPUBufferUsage.STORAGE, 'v'),
          o: gpu.empty(4 * size, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'o'),
        };
        const kernel: Prepared =
          version === 'naive'
            ? gpu.own(prepareNaiveAttention(device, shape, { ...buffers, scores: gpu.empty(scoreBytes(shape), GPUBufferUsage.STORAGE, 'scores') }))
            : gpu.own(prepareTiledAttention(device, shape, buffers));
        const o = await runOnce(ctx, kernel.encode, buffers.o, 4 * size, `${version} attention`);
        const actual = checkedRows(shape).flatMap(({ head, rows }) =>
          rows.flatMap((row) => Array.from(o.subarray(((head.b * heads + head.h) * seqLen + row) * d, ((head.b * heads + head.h) * seqLen + row + 1) * d))),
        );
        const check = checkOutput(actual, expected, { tolerance: TOLERANCE, floor: 1 }, `${version} attention at N=${seqLen}`);
        const timing = await timeRuns(ctx, check, `The ${version} kernel at N=${seqLen}`, kernel.encode);
        const seconds = timing.seconds.median;
        if (version === 'naive') naiveSeconds = seconds;
        const moved = version === 'naive' ? naiveBytes(shape, 4) : tiledBytes(shape, 4);
        yield makeRecord({
          lab: 'flash-attention',
          variant: version,
          params: { seqLen, batch, heads, headDim: d, causal: settings.causal, dtype: 'f32' },
          timing,
          flops: attentionFlops(shape),
          bytes: fewestBytes(shape, 4),
          ceilings: ctx.ceilings,
          check,
          unit: 'fp32',
          extraDispatches: kernel.dispatches - 1,
          extra: {
            bytesMoved: moved,
            ...(version === 'tiled' && naiveSeconds !== undefined && { speedupOverNaive: naiveSeconds / seconds }),
            ...(version === 'naive' && { scoreBytes: scoreBytes(shape) }),
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

/** At the longest N both kernels ran: the tiled kernel's speedup and the bytes each moved; where the naive one stopped. */
function verdict(records: RunRecord[], subject: string): string | null {
  for (const run of runsOf(records, ['seqLen'])) {
    const naive = run.filter((record) => record.variant === 'naive');
    const tiled = run.filter((record) => record.variant === 'tiled');
    const both = tiled.filter((t) => naive.some((n) => n.params['seqLen'] === t.params['seqLen']));
    const at = both.at(-1) ?? tiled.at(-1);
    if (!at) continue;
    const n = naive.find((record) => record.params['seqLen'] === at.params['seqLen']);
    const [standard, flash] = claims;
    const longestNaive = Math.max(0, ...naive.map((record) => Number(record.params['seqLen'])));
    const longestTiled = Math.max(...tiled.map((record) => Number(record.params['seqLen'])));
    const tflops = (record: RunRecord) => `${(record.achieved.gflops / 1000).toPrecision(3)} TFLOP/s`;
    return (
      (n
        ? `At N=${at.params['seqLen']} ${subject} ran the tiled kernel ${(n.seconds.median / at.seconds.median).toFixed(2)}× as fast as the naive one ` +
          `(${tflops(at)} against ${tflops(n)}), moving ${(n.extra!['bytesMoved']! / at.extra!['bytesMoved']!).toFixed(1)}× fewer bytes. `
        : `At N=${at.params['seqLen']} ${subject} ran the tiled kernel at ${tflops(at)}. `) +
      (longestTiled > longestNaive ? `The naive kernel's N×N scores did not fit beyond N=${longestNaive || 'the first length'}; the tiled kernel went on to N=${longestTiled}. ` : '') +
      `The paper: ${flash!.value} ms against ${standard!.value} ms for standard attention (${flash!.setting}; Dao et al., ${flash!.source}, ${flash!.version}), ` +
      `${(standard!.value / flash!.value).toFixed(1)}×.`
    );
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
    'as it goes; the scores never leave the chip. Both run in f32 on the FMA units. The bound is the larger of the FLOPs ' +
    '(4N²d a head, about half with the causal mask) over this device\'s FMA rate and the fewest bytes (Q, K, V read once, ' +
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
    bytesMoved: 'Bytes moved (counted from the kernel)',
    speedupOverNaive: 'Speedup over naive (×)',
    scoreBytes: 'Bytes of the N×N scores',
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
