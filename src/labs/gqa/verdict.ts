// The GQA lab's claims and verdict: Ainslie et al.'s end-to-end times against a run's speedup over MHA.
import { claimSchema } from '../../schemas/claim';
import type { RunRecord } from '../../schemas/results';
import { runsOf } from '../verdict';

/** Table 1: seconds per sample of uptrained T5-XXL (Ainslie et al., 2023), MHA against GQA-8 (and MQA). */
export const claims = claimSchema.array().parse([
  { what: 'per sample, MHA', value: 1.51, unit: ' s', conditions: { kvHeads: 'MHA' }, setting: 'T5-XXL', source: 'Table 1', version: 'arXiv 2305.13245' },
  { what: 'per sample, GQA-8 uptrained', value: 0.28, unit: ' s', conditions: { kvHeads: 8 }, setting: 'T5-XXL', source: 'Table 1', version: 'arXiv 2305.13245' },
]);

/**
 * At the longest context of the run: how much faster than MHA the grouped variant (GQA, else MQA) decoded, against
 * the ideal (the KV bytes' ratio) and the paper's end-to-end times.
 */
export function verdict(records: RunRecord[], subject: string): string | null {
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
