// The FlashAttention lab's kernels as its records name them, the paper's figures it is set against, and the verdict
// a run's records give: the tiled kernel's speedup and traffic beside the naive one's, where the naive one stopped,
// the tensor-core kernel's rate, and the blocks beside the paper's rule.
import { claimSchema } from '../../schemas/claim';
import type { RunRecord } from '../../schemas/results';
import { runsOf } from '../verdict';

/** The kernels, in the reader's words: the naive and tiled ones in f32, the tiled one in f16 on the tensor cores. */
export const KERNELS = ['naive', 'tiled', 'tiled, tensor cores'] as const;
export type Kernel = (typeof KERNELS)[number];

/** Figure 2 (left), arXiv 2205.14135 v2: GPT-2 medium attention, forward and backward, on an A100. */
export const claims = claimSchema.array().parse([
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
export function verdict(records: RunRecord[], subject: string): string | null {
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
