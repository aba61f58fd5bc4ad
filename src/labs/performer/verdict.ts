// The Performers lab's claims and verdict: both halves of the trade in the reader's numbers, each against the
// paper's claim. Speed: FAVOR+'s time grows linearly in N where exact attention's grows quadratically (Figure 3).
// Accuracy: orthogonal features err less than independent ones (Theorem 2, Figure 4), and the error as the inputs'
// scale grows, set against Lemma 2. Numbering as in arXiv 2009.14794 v4, whose Section 3 holds Lemma 2 and Theorem 2.
import { claimSchema } from '../../schemas/claim';
import type { RunRecord } from '../../schemas/results';
import { formatPercent, formatRatio } from '../format';
import { runsOf, timeAgainst, withCaveats, type VerdictContext } from '../verdict';
import { SEEDS } from './accuracy';

const VERSION = 'arXiv 2009.14794 v4';
const FIGURE_3 = 'forward and backward passes of 6-layer, 8-head models of width 512 on a V100';

/**
 * The paper's claims: the power of N each time grows with (Figure 3: the Performer's nearly linear, the
 * Transformer's quadratic), and Theorem 2's bound: orthogonal features' mean squared error is at most independent
 * ones' (for m ≤ d), which Figure 4 shows on attention outputs over m.
 */
export const claims = claimSchema.array().parse([
  { what: "growth of FAVOR+'s time with N (linear)", value: 1, unit: ' (power of N)', conditions: { variant: 'FAVOR+' }, setting: FIGURE_3, source: 'Figure 3, Section 4.1', version: VERSION },
  { what: "growth of exact attention's time with N (quadratic)", value: 2, unit: ' (power of N)', conditions: { variant: 'exact (tiled)' }, setting: FIGURE_3, source: 'Figure 3, Section 4.1', version: VERSION },
  {
    what: "orthogonal features' mean squared error over independent ones', at most",
    value: 1,
    unit: '×',
    conditions: { variant: 'orthogonal' },
    setting: 'm ≤ d; Figure 4 (Section 4.2) shows it on attention outputs over m',
    source: 'Theorem 2, Section 3',
    version: VERSION,
  },
]);

const EXACT = 'exact (tiled)';
const FAVOR = 'FAVOR+';
const byParam = (name: string) => (a: RunRecord, b: RunRecord) => Number(a.params[name]) - Number(b.params[name]);

/**
 * Where FAVOR+ overtook exact attention beyond the run's spread (or that it did not), against the crossover its
 * FLOPs predict (N = 2m); then how each time grew between the two longest N, against Figure 3's linear and quadratic.
 */
function speedSentences(run: RunRecord[], subject: string): string[] {
  const exactAt = (record: RunRecord) => run.find((other) => other.variant === EXACT && other.params['seqLen'] === record.params['seqLen']);
  const favor = run.filter((record) => record.variant === FAVOR && exactAt(record)).sort(byParam('seqLen'));
  if (favor.length === 0) return [];
  const m = Number(favor[0]!.params['features']);
  const ratio = (record: RunRecord) => formatRatio(exactAt(record)!.seconds.median / record.seconds.median);
  const wins = favor.find((record) => timeAgainst(record, exactAt(record)!) === 'faster');
  const longest = favor.at(-1)!;
  const sentences = [
    wins
      ? `With m=${m} features, ${subject} ran FAVOR+ faster than exact attention from N=${wins.params['seqLen']} on (${ratio(wins)} as fast there` +
        `${wins === longest ? '' : `, ${ratio(longest)} at N=${longest.params['seqLen']}`}); their FLOPs cross at N=${2 * m}.`
      : `With m=${m} features, ${subject} ran FAVOR+ no faster than exact attention at any N up to ${longest.params['seqLen']} (${ratio(longest)} as fast there); their FLOPs cross at N=${2 * m}.`,
  ];
  if (favor.length < 2) return sentences;
  const shorter = favor.at(-2)!;
  const length = Number(longest.params['seqLen']) / Number(shorter.params['seqLen']);
  const grew = (a: RunRecord, b: RunRecord) => b.seconds.median / a.seconds.median;
  const power = Math.log(grew(shorter, longest)) / Math.log(length);
  const [linear, quadratic] = claims;
  const shape =
    power < 0.75 ? 'less than linearly: fixed costs still outweigh the work at these lengths' : power <= 1.25 ? 'about linearly, as there' : 'faster than linearly';
  sentences.push(
    `From N=${shorter.params['seqLen']} to ${longest.params['seqLen']} (${formatRatio(length)} the length) FAVOR+'s time grew ${formatRatio(grew(shorter, longest))} ` +
      `and exact attention's ${formatRatio(grew(exactAt(shorter)!, exactAt(longest)!))}; linear growth is ${formatRatio(length ** linear!.value)}, ` +
      `quadratic ${formatRatio(length ** quadratic!.value)}.`,
    `The paper has the Performer's time growing linearly in N and the Transformer's quadratically (${linear!.setting}; Choromanski et al., ` +
      `${linear!.source}, ${VERSION}); here FAVOR+ grew ${shape}.`,
  );
  return sentences;
}

/**
 * At the largest m with both kinds: orthogonal features' error against independent ones', judged with the spread
 * of the draws (the claim is one-sided: orthogonal no worse). The errors are computed on the CPU in float64 from the
 * point's inputs, so they are no device's: the sentence names none.
 */
function featuresSentence(run: RunRecord[]): string | null {
  const largest = (kind: string) => run.filter((record) => record.variant === kind).sort(byParam('features')).at(-1);
  const [orthogonal, independent] = [largest('orthogonal'), largest('independent')];
  if (!orthogonal || !independent || orthogonal.params['features'] !== independent.params['features']) return null;
  const [o, i] = [orthogonal.extra!, independent.extra!];
  const [oLow, oHigh] = [o['relError']! - o['relErrorSpread']!, o['relError']! + o['relErrorSpread']!];
  const [iLow, iHigh] = [i['relError']! - i['relErrorSpread']!, i['relError']! + i['relErrorSpread']!];
  const claim = claims[2]!;
  const cited = `${claim.source} (proved for m ≤ d), and Figure 4, Section 4.2 (Choromanski et al., ${claim.version})`;
  const judged =
    oHigh < iLow
      ? `lower beyond the spread of the draws, as ${cited} have it`
      : oLow > iHigh
        ? `higher beyond the spread of the draws, against ${cited}`
        : `within the spread of the draws, so the lower error of orthogonal features in ${cited} does not show at this m`;
  return (
    `FAVOR+'s output was off exact attention by ${formatPercent(o['relError']!)} with ${orthogonal.params['features']} orthogonal features and ` +
    `${formatPercent(i['relError']!)} with independent ones (mean over ${SEEDS} draws, standard deviations ±${formatPercent(o['relErrorSpread']!)} and ` +
    `±${formatPercent(i['relErrorSpread']!)}): ${judged}.`
  );
}

/**
 * The error of orthogonal features as the inputs' scale grew: rising is Lemma 2 at work; falling needs a word, since
 * Lemma 2 has the estimator's error grow with the inputs' norms: the error is relative to the exact output, which
 * grows faster as attention sharpens (at small scales it averages many random value rows and is near zero).
 */
function scaleSentence(run: RunRecord[]): string | null {
  const scaled = run.filter((record) => record.variant === 'orthogonal, scaled').sort(byParam('scale'));
  if (scaled.length < 2) return null;
  const error = (record: RunRecord) => record.extra!['relError']!;
  const at = (record: RunRecord) => `${formatPercent(error(record))} at scale ${record.params['scale']}`;
  const peak = scaled.reduce((top, record) => (error(record) > error(top) ? record : top));
  const [first, last] = [scaled[0]!, scaled.at(-1)!];
  const lemma = `Lemma 2 (Choromanski et al., Section 3, ${VERSION})`;
  if (peak === last) {
    return (
      `As the inputs' scale grew, the error of orthogonal features rose from ${at(first)} to ${at(last)}, as ${lemma} has it: the mean squared ` +
      'error of each estimated attention weight carries a factor exp(‖x + y‖²), which grows with the norms of queries and keys.'
    );
  }
  const path = peak === first ? `fell from ${at(first)} to ${at(last)}` : `rose from ${at(first)} to ${at(peak)}, then fell to ${at(last)}`;
  return (
    `As the inputs' scale grew, the error of orthogonal features ${path}. That is not against ${lemma}, where the mean squared error of ` +
    'each estimated attention weight carries a factor exp(‖x + y‖²), growing with the norms of queries and keys: the error here is relative to the exact output, and that output grows ' +
    'faster as attention sharpens. At small scales attention spreads over every key and the output, an average of many random value rows, ' +
    'is near zero; at large ones it is close to a single row.'
  );
}

/**
 * Both halves of the paper's trade where the run has them: speed against exact attention and Figure 3, the error
 * of orthogonal against independent features and Theorem 2, the error over the inputs' scale against Lemma 2; then
 * whether the run's times stand for this device.
 */
export function verdict(records: RunRecord[], subject: string, context: VerdictContext = {}): string | null {
  for (const run of runsOf(records, ['seqLen', 'features', 'scale', 'kind'])) {
    const speed = speedSentences(run, subject);
    const accuracy = [featuresSentence(run), scaleSentence(run)].filter((sentence) => sentence !== null);
    if (speed.length + accuracy.length === 0) continue;
    return withCaveats([...speed, ...accuracy], run, context);
  }
  return null;
}
