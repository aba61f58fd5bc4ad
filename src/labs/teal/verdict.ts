// The TEAL lab's claims and verdict: the paper's end-to-end decoding speedups against a run's sparse GEMV.
import { claimSchema } from '../../schemas/claim';
import type { RunRecord } from '../../schemas/results';
import { formatRatio } from '../format';
import { runsOf, saidBy, withCaveats, type VerdictContext } from '../verdict';

/** TEAL's end-to-end decoding speedups at 40% and 50% model-wide sparsity (Liu et al., 2024). */
export const claims = claimSchema.array().parse([
  { what: 'faster decoding, end to end', value: 1.53, unit: '×', conditions: { sparsity: 40 }, source: 'abstract', version: 'arXiv 2408.14690 v1' },
  { what: 'faster decoding, end to end', value: 1.8, unit: '×', conditions: { sparsity: 50 }, source: 'abstract', version: 'arXiv 2408.14690 v1' },
]);

/**
 * At the sparsity of a claim where the run has one (else its highest): the sparse GEMV's speedup over dense, the
 * memory-bound ideal and, where there is one, what TEAL reports at that sparsity; then whether the run's times stand
 * for this device.
 */
export function verdict(records: RunRecord[], subject: string, context: VerdictContext = {}): string | null {
  const sparse = runsOf(records.filter((record) => record.variant === 'sparse'), ['sparsity'])[0] ?? [];
  const claimed = claims.filter((claim) => sparse.some((record) => record.params['sparsity'] === claim.conditions['sparsity']));
  const claim = claimed.at(-1);
  const at = claim ? sparse.find((record) => record.params['sparsity'] === claim.conditions['sparsity']) : sparse.at(-1);
  if (!at?.extra?.['speedup']) return null;
  const percent = at.params['sparsity'];
  // The dense records of the same run, for the caveats: equal to the sparse ones in every parameter but sparsity.
  const run = runsOf(records, ['sparsity']).find((group) => group.includes(at)) ?? sparse;
  return withCaveats(
    [
      `At ${percent}% sparsity ${subject} ran the sparse GEMV ${formatRatio(at.extra['speedup'])} as fast as the dense one; ` +
        `reading only the kept rows, the ideal is ${formatRatio(at.extra['idealSpeedup']!)}.`,
      ...(claim ? [`TEAL reports ${saidBy(claim, 'Liu et al.')} for whole models at ${percent}%.`] : []),
    ],
    run,
    context,
  );
}
