// The FlashAttention lab's kernels as its records name them, the paper's figures it is set against, and the verdict
// a run's records give: the tiled kernel's speedup and traffic beside the naive one's (and why, where the naive one
// won), where the naive one stopped, the tensor-core kernel's rate, and the blocks beside the paper's rule.
import { claimSchema } from '../../schemas/claim';
import type { RunRecord } from '../../schemas/results';
import { formatBytes, formatFlopRate, formatPercent, formatRatio } from '../format';
import { asMany, isTiny, ofFedRate, runsOf, timeAgainst, withCaveats, type VerdictContext } from '../verdict';

/** The kernels, in the reader's words: the naive and tiled ones in f32, the tiled one in f16 on the tensor cores. */
export const KERNELS = ['naive', 'tiled', 'tiled, tensor cores'] as const;
export type Kernel = (typeof KERNELS)[number];

/** Figure 2 (left), arXiv 2205.14135 v2: GPT-2 medium attention, forward and backward, on an A100. */
export const claims = claimSchema.array().parse([
  { what: 'standard attention', value: 41.7, unit: ' ms', conditions: { variant: 'naive' }, setting: 'GPT-2 medium on an A100, sequence 1024, forward and backward', source: 'Figure 2 (left)', version: 'arXiv 2205.14135 v2' },
  { what: 'FlashAttention', value: 7.3, unit: ' ms', conditions: { variant: 'tiled' }, setting: 'GPT-2 medium on an A100, sequence 1024, forward and backward', source: 'Figure 2 (left)', version: 'arXiv 2205.14135 v2' },
]);

const rate = (record: RunRecord) => formatFlopRate(record.achieved.gflops * 1e9);
const kib = (bytes: number) => formatBytes(bytes, true);

/** The tiled kernel's blocks against the paper's rule, from a record's extras. */
function blocksSentence(record: RunRecord): string {
  const x = record.extra!;
  return (
    `Its blocks: ${x['blockRows']} query rows by ${x['blockKeys']} keys in ${kib(x['workgroupBytes']!)} of this device's ${kib(x['workgroupLimitBytes']!)} ` +
    `of workgroup memory; the paper's rule, B_c = ⌈M/4d⌉ with M that memory in f32 values, gives ${x['paperBlockKeys']} keys by ${x['paperBlockRows']} rows at d = ${record.params['headDim']}.`
  );
}

/**
 * The tiled kernel against the naive one at one N: how fast, and the bytes each moved (the tiled one reads K and V
 * again for every block of query rows, so at some shapes it moves more, not fewer). Where the naive kernel was
 * faster beyond the spread, why, from the records: both bound by their arithmetic, or the tiled one's traffic (on
 * tiny sizes or a software adapter the caveats say why instead).
 */
function pairSentences(tiled: RunRecord, naive: RunRecord, subject: string, run: RunRecord[], context: VerdictContext): string[] {
  const [tiledBytes, naiveBytes] = [tiled.extra!['bytesMoved']!, naive.extra!['bytesMoved']!];
  const sentences = [
    `At N=${tiled.params['seqLen']} ${subject} ran the tiled kernel ${formatRatio(naive.seconds.median / tiled.seconds.median)} as fast as the naive one ` +
      `(${rate(tiled)} against ${rate(naive)}), moving ${asMany(tiledBytes / naiveBytes, 'bytes')} (${formatBytes(tiledBytes)} against ${formatBytes(naiveBytes)}).`,
  ];
  if (timeAgainst(tiled, naive) !== 'slower' || isTiny(run) || context.software) return sentences;
  const compute = tiled.bound.limitedBy === 'compute' && naive.bound.limitedBy === 'compute';
  const x = tiled.extra!;
  const rereads = `it reads K and V once for every block of ${x['blockRows']} query rows, and that block's queries again for every ${x['blockKeys']} keys`;
  if (compute && tiledBytes > naiveBytes) {
    sentences.push(
      "The paper's gain is memory traffic saved, and there was none to gain here: both kernels are bound by their arithmetic (their bounds are set by " +
        `their FLOPs, not their bytes), and the tiled one moved more bytes, not fewer: ${rereads}.`,
    );
  } else if (compute) {
    sentences.push("The paper's gain is memory traffic saved, and here both kernels are bound by their arithmetic (their bounds are set by their FLOPs, not their bytes), so the traffic the tiled one saved did not count.");
  } else if (tiledBytes > naiveBytes) {
    sentences.push(`The paper's gain is memory traffic saved, and here the tiled kernel moved more bytes, not fewer: ${rereads}.`);
  }
  return sentences;
}

/**
 * At the longest N both f32 kernels ran: the tiled kernel's speedup and the bytes each moved, where the naive one
 * stopped, the tensor-core kernel's rate against its ceiling (and against the rate WebGPU can feed the matrix units,
 * where measured), the paper's figure, the blocks, and whether the run's times stand for this device.
 */
export function verdict(records: RunRecord[], subject: string, context: VerdictContext = {}): string | null {
  // The tensor-core kernel's records differ in their precision: they belong to the same run.
  for (const run of runsOf(records, ['seqLen', 'dtype'])) {
    const of = (kernel: Kernel) => run.filter((record) => record.variant === kernel);
    const [naive, tiled, matrix] = KERNELS.map(of) as [RunRecord[], RunRecord[], RunRecord[]];
    const at = tiled.filter((t) => naive.some((n) => n.params['seqLen'] === t.params['seqLen'])).at(-1) ?? tiled.at(-1);
    if (!at) continue;
    const n = naive.find((record) => record.params['seqLen'] === at.params['seqLen']);
    const [standard, flash] = claims;
    const longestNaive = Math.max(0, ...naive.map((record) => Number(record.params['seqLen'])));
    const longestTiled = Math.max(...tiled.map((record) => Number(record.params['seqLen'])));
    const fastest = matrix.at(-1);
    const fed = fastest && ofFedRate(fastest, context);
    return withCaveats(
      [
        ...(n ? pairSentences(at, n, subject, run, context) : [`At N=${at.params['seqLen']} ${subject} ran the tiled kernel at ${rate(at)}.`]),
        ...(longestTiled > longestNaive
          ? [`The naive kernel's N×N scores did not fit beyond N=${longestNaive || 'the first length'}; the tiled kernel went on to N=${longestTiled}.`]
          : []),
        ...(fastest
          ? [
              `On the tensor cores in f16, at N=${fastest.params['seqLen']}: ${rate(fastest)}, ${formatPercent(fastest.fractionOfBound)} of ` +
                `${fastest.bound.limitedBy === 'compute' ? 'their measured ceiling' : 'its memory bound'}${fed ? ` and ${fed}` : ''}.`,
            ]
          : []),
        `The paper measured ${flash!.value} ms against ${standard!.value} ms for standard attention, ${formatRatio(standard!.value / flash!.value)} as fast ` +
          `(${flash!.setting}; Dao et al., ${flash!.source}, ${flash!.version}).`,
        blocksSentence(at),
      ],
      run,
      context,
    );
  }
  return null;
}
