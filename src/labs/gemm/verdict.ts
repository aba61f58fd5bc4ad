// The GEMM lab's verdict: at the largest size of a run, each version's rate and its share of the ceiling that
// bounds it; for the version on the matrix units, also its share of the rate WebGPU can feed them, where measured.
import { gemmVersions } from '../../kernels/gemm/index';
import type { RunRecord } from '../../schemas/results';
import { formatFlopRate, formatPercent } from '../format';
import { ofFedRate, withCaveats, type VerdictContext } from '../verdict';

/** Whether a record's version runs on the matrix units (its variant is the version's label). */
const onMatrixUnits = (record: RunRecord) => gemmVersions.some((version) => version.label === record.variant && version.unit === 'f16-matrix');

/** At the largest size of the run: each version's rate and its share of the ceiling that bounds it; then whether the times stand for this device. */
export function verdict(records: RunRecord[], subject: string, context?: VerdictContext): string | null {
  const largest = Math.max(...records.map((record) => Number(record.params['size'])));
  const at = records.filter((record) => record.params['size'] === largest);
  if (at.length === 0) return null;
  const parts = at.map((record) => {
    const fed = onMatrixUnits(record) ? ofFedRate(record, context) : null;
    return `the ${record.variant} GEMM at ${formatFlopRate(record.achieved.gflops * 1e9)}, ${formatPercent(record.fractionOfBound)} of its bound${fed ? ` and ${fed}` : ''}`;
  });
  return withCaveats([`At n=${largest} ${subject} ran ${parts.join(', and ')}.`], records, context);
}
