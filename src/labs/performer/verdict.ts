// The Performers lab's verdict: both halves of the trade in the reader's numbers.
import type { RunRecord } from '../../schemas/results';
import { runsOf } from '../verdict';
import { SEEDS } from './accuracy';

/**
 * Where FAVOR+ overtook exact attention (or that it did not), against the crossover its FLOPs predict (N = 2m), and
 * the error orthogonal and independent features paid at the largest m.
 */
export function verdict(records: RunRecord[], subject: string): string | null {
  for (const run of runsOf(records, ['seqLen', 'features', 'scale'])) {
    const favor = run.filter((record) => record.variant === 'FAVOR+').sort((a, b) => Number(a.params['seqLen']) - Number(b.params['seqLen']));
    const exact = (n: unknown) => run.find((record) => record.variant === 'exact (tiled)' && record.params['seqLen'] === n);
    const parts: string[] = [];
    if (favor.length > 0) {
      const m = Number(favor[0]!.params['features']);
      const wins = favor.find((record) => (exact(record.params['seqLen'])?.seconds.median ?? 0) > record.seconds.median);
      const longest = favor.at(-1)!;
      const ratio = (record: RunRecord) => exact(record.params['seqLen'])!.seconds.median / record.seconds.median;
      parts.push(
        wins
          ? `With m=${m} features, ${subject} ran FAVOR+ faster than exact attention from N=${wins.params['seqLen']} on (${ratio(wins).toFixed(2)}× there, ${ratio(longest).toFixed(2)}× at N=${longest.params['seqLen']}); their FLOPs cross at N=${2 * m}.`
          : `With m=${m} features, ${subject} ran exact attention faster than FAVOR+ at every N up to ${longest.params['seqLen']} (FAVOR+ took ${(1 / ratio(longest)).toFixed(2)}× its time there); their FLOPs cross at N=${2 * m}.`,
      );
    }
    const largest = (kind: string) =>
      run.filter((record) => record.variant === kind).sort((a, b) => Number(b.params['features']) - Number(a.params['features']))[0];
    const [orthogonal, independent] = [largest('orthogonal'), largest('independent')];
    if (orthogonal && independent) {
      const error = (record: RunRecord) => `${(100 * record.extra!['relError']!).toPrecision(2)}%`;
      parts.push(
        `${parts.length ? 'Its' : `On ${subject} the`} output was off exact attention by ${error(orthogonal)} with ${orthogonal.params['features']} orthogonal features ` +
          `and ${error(independent)} with independent ones (mean over ${SEEDS} draws).`,
      );
    }
    if (parts.length > 0) return parts.join(' ');
  }
  return null;
}
