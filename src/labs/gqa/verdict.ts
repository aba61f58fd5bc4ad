// The GQA lab's claims and verdict: Ainslie et al.'s end-to-end times against a run's speedup over MHA.
import { claimSchema } from '../../schemas/claim';
import type { RunRecord } from '../../schemas/results';
import { formatRatio } from '../format';
import { asMany, runsOf, withCaveats, type VerdictContext } from '../verdict';

/** Table 1: seconds per sample of uptrained T5-XXL (Ainslie et al., 2023), MHA against GQA-8 (and MQA). */
export const claims = claimSchema.array().parse([
  { what: 'per sample, MHA', value: 1.51, unit: ' s', conditions: { kvHeads: 'MHA' }, setting: 'T5-XXL', source: 'Table 1', version: 'arXiv 2305.13245 v3' },
  { what: 'per sample, GQA-8 uptrained', value: 0.28, unit: ' s', conditions: { kvHeads: 8 }, setting: 'T5-XXL', source: 'Table 1', version: 'arXiv 2305.13245 v3' },
]);

/**
 * At the longest context of the run: how much faster than MHA the grouped variant (GQA, else MQA) decoded, against
 * the ideal (the bytes' ratio) and the paper's end-to-end times, and whether the run's times stand for this device.
 */
export function verdict(records: RunRecord[], subject: string, context: VerdictContext = {}): string | null {
  // A variant's kernel is its own (auto takes the matrix units for wide groups only), so it does not split a run.
  const runs = runsOf(records, ['kvHeads', 'seqLen', 'kernel']);
  const pairs = runs.map((run) => {
    const longest = Math.max(...run.map((record) => Number(record.params['seqLen'])));
    const at = run.filter((record) => record.params['seqLen'] === longest);
    const grouped = at.find((record) => record.variant.startsWith('GQA')) ?? at.find((record) => record.variant === 'MQA');
    return { longest, mha: at.find((record) => record.variant === 'MHA'), grouped };
  });
  const index = pairs.findIndex(({ mha, grouped }) => mha && grouped);
  if (index < 0) return null;
  const { longest, mha, grouped } = pairs[index] as { longest: number; mha: RunRecord; grouped: RunRecord };
  const [mhaClaim, gqaClaim] = claims;
  return withCaveats(
    [
      `At a context of ${longest} tokens ${subject} ran ${grouped.variant}'s decode step ${formatRatio(mha.seconds.median / grouped.seconds.median)} as fast ` +
        `as MHA's; it reads ${asMany(grouped.bytes / mha.bytes, 'bytes')}, so ${formatRatio(mha.bytes / grouped.bytes)} is the ideal.`,
      `In the paper, whole models took ${gqaClaim!.value} s per sample with GQA-8 against ${mhaClaim!.value} s with MHA, ` +
        `${formatRatio(mhaClaim!.value / gqaClaim!.value)} as fast (${gqaClaim!.setting}; Ainslie et al., ${gqaClaim!.source}, ${gqaClaim!.version}).`,
    ],
    runs[index]!,
    context,
  );
}
