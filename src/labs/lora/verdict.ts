// The LoRA lab's claims and verdict: the paper's "no added latency" for the merged layer, judged one-sided with the
// run's own spread, and what the order of the chain cost, in the paper's terms, with a word on why when the times do
// not follow the FLOPs; in f16, the frozen layer's rate against the rate WebGPU can feed the matrix units.
import type { Variant } from '../../kernels/lora/chain';
import { claimSchema } from '../../schemas/claim';
import type { RunRecord } from '../../schemas/results';
import { formatFlopRate, formatFlops, formatPercent, formatRatio, formatSeconds } from '../format';
import { isTiny, ofFedRate, runsOf, timeAgainst, withCaveats, type VerdictContext } from '../verdict';

/** Table 1 (arXiv 2106.09685 v2): one forward pass of GPT-2 medium, batch 1, 128 tokens, on a Quadro RTX8000. */
export const claims = claimSchema.array().parse([
  { what: 'forward pass, LoRA merged (as fine-tuned)', value: 19.8, unit: ' ms', conditions: { variant: 'merged' }, setting: 'GPT-2 medium, batch 1, 128 tokens', source: 'Table 1', version: 'arXiv 2106.09685 v2' },
  { what: 'forward pass, adapter layers (AdapterL)', value: 23.9, unit: ' ms', conditions: { variant: 'unmerged' }, setting: 'GPT-2 medium, batch 1, 128 tokens', source: 'Table 1', version: 'arXiv 2106.09685 v2' },
]);

/** `+252%`, `−8.0%`: a ratio to the base layer as what it adds. */
const percent = (ratio: number) => `${ratio >= 1 ? '+' : '−'}${Math.abs((ratio - 1) * 100).toFixed(ratio < 1.1 && ratio > 0.9 ? 1 : 0)}%`;

/** `45.2 µs to 47.0 µs`: a record's 10th to 90th percentile. */
const spread = (record: RunRecord) => `${formatSeconds(record.seconds.p10)} to ${formatSeconds(record.seconds.p90)}`;

/**
 * The merged layer against the paper's "no added latency": it holds unless the merged layer was slower than the
 * frozen one beyond the run's spread (faster is no added latency too). The merged layer is the frozen layer's very
 * product with other numbers in its weight, so a gap beyond the spread is the device's, not the adapter's.
 */
function mergedSentence(merged: RunRecord, base: RunRecord): string {
  const over = formatRatio(merged.seconds.median / base.seconds.median);
  const [paperMerged, paperAdapter] = claims;
  const paper =
    `(Hu et al. measured ${paperMerged!.value} ms merged against ${paperAdapter!.value} ms with adapter layers; ` +
    `${paperMerged!.setting}; ${paperMerged!.source}, ${paperMerged!.version})`;
  const against = timeAgainst(merged, base);
  if (against === 'faster') return `in ${over} the frozen layer's time, faster than it: no added latency, as the paper claims ${paper}.`;
  if (against === 'within') {
    return `in ${over} the frozen layer's time, within this run's spread (10th to 90th percentile: ${spread(merged)} merged, ${spread(base)} frozen): no added latency, as the paper claims ${paper}.`;
  }
  const same = merged.flops === base.flops && merged.bytes === base.bytes;
  return (
    `in ${over} the frozen layer's time, slower beyond this run's spread (10th to 90th percentile: ${spread(merged)} merged, ${spread(base)} frozen): ` +
    `not the paper's "no added latency" in this run ${paper}.` +
    (same ? ' The merged layer does the frozen layer\'s very product (the same FLOPs and bytes), so the gap is the device varying between the two timings, not the adapter: run again to see.' : '')
  );
}

/**
 * Why x(AB), the order with more FLOPs, came out cheaper than the fused adapter, from the records: sizes too small
 * for the FLOPs to count or a software adapter (both make a variant's time its dispatches), else how close each came
 * to its bound.
 */
function orderReason(base: RunRecord, fused: RunRecord, wrong: RunRecord, run: RunRecord[], context: VerdictContext): string {
  const why = [
    ...(isTiny(run) ? [`at these sizes the frozen layer is ${formatFlops(base.flops)}, done in ${formatSeconds(base.seconds.median)}`] : []),
    ...(context.software ? ['a software adapter runs every dispatch on the CPU'] : []),
  ];
  if (why.length > 0) {
    return (
      `The order x(AB), with ${formatRatio(wrong.flops / fused.flops)} the fused adapter's FLOPs, came out cheaper because ${why.join(', and ')}: ` +
      "a variant's time there follows its dispatches (how many, and how their workgroups run), not its FLOPs."
    );
  }
  return (
    `The order x(AB), with ${formatRatio(wrong.flops / fused.flops)} the fused adapter's FLOPs, came out cheaper: it ran at ${formatPercent(wrong.fractionOfBound)} ` +
    `of its bound and the fused adapter at ${formatPercent(fused.fractionOfBound)}, so the fused adapter's steps used this device less well.`
  );
}

/**
 * At the largest T of the run (and its first rank): the merged layer against the paper's claim first (the adapter
 * adds no latency), then what the order of the chain cost: the fused adapter and x(AB) over the base layer, against
 * their FLOPs, and why where x(AB) came out cheaper; in f16, where the run's ceilings hold the rate WebGPU can feed
 * the matrix units, the frozen layer's share of it; then whether the run's times stand for this device.
 */
export function verdict(records: RunRecord[], subject: string, context: VerdictContext = {}): string | null {
  for (const run of runsOf(records, ['tokens', 'rank'])) {
    const tokens = Math.max(...run.map((record) => Number(record.params['tokens'])));
    const rank = run.find((record) => record.params['tokens'] === tokens)?.params['rank'];
    const at = run.filter((record) => record.params['tokens'] === tokens && record.params['rank'] === rank);
    const find = (variant: Variant) => at.find((record) => record.variant === variant);
    const [base, fused, wrong, merged] = [find('base'), find('fused'), find('x(AB)'), find('merged')];
    if (!base || !fused || !wrong || !merged) continue;
    const over = (record: RunRecord) => record.seconds.median / base.seconds.median;
    const { dIn, dOut, dtype } = base.params;
    const fed = dtype === 'f16' ? ofFedRate(base, context) : null;
    return withCaveats(
      [
        `With T=${tokens} tokens, a ${dIn}×${dOut} layer and rank ${rank} in ${dtype}, ${subject} ran the layer with the adapter merged into its weight ` +
          mergedSentence(merged, base),
        `Unmerged, the order decides: the fused adapter cost ${percent(over(fused))} over the frozen layer (its FLOPs ${percent(fused.flops / base.flops)}), ` +
          `and the same adapter multiplied as x(AB) ${percent(over(wrong))} (its FLOPs ${percent(wrong.flops / base.flops)}).`,
        ...(wrong.flops > fused.flops && timeAgainst(wrong, fused) === 'faster' ? [orderReason(base, fused, wrong, run, context)] : []),
        ...(fed ? [`On the matrix units the frozen layer ran at ${formatFlopRate(base.achieved.gflops * 1e9)}, ${fed}.`] : []),
      ],
      run,
      context,
    );
  }
  return null;
}
