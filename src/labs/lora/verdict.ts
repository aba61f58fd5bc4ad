// The LoRA lab's claims and verdict: the paper's "no added latency" for the merged layer, and what the order of
// the chain cost, in the paper's terms.
import type { Variant } from '../../kernels/lora/chain';
import { claimSchema } from '../../schemas/claim';
import type { RunRecord } from '../../schemas/results';
import { runsOf } from '../verdict';

/** Table 1 (arXiv 2106.09685): one forward pass of GPT-2 medium, batch 1, 128 tokens, on a Quadro RTX8000. */
export const claims = claimSchema.array().parse([
  { what: 'forward pass, LoRA merged (as fine-tuned)', value: 19.8, unit: ' ms', conditions: { variant: 'merged' }, setting: 'GPT-2 medium, batch 1, 128 tokens', source: 'Table 1', version: 'arXiv 2106.09685' },
  { what: 'forward pass, adapter layers (AdapterL)', value: 23.9, unit: ' ms', conditions: { variant: 'unmerged' }, setting: 'GPT-2 medium, batch 1, 128 tokens', source: 'Table 1', version: 'arXiv 2106.09685' },
]);

const percent = (ratio: number) => `${ratio >= 1 ? '+' : '−'}${Math.abs((ratio - 1) * 100).toFixed(ratio < 1.1 && ratio > 0.9 ? 1 : 0)}%`;

/** Within this of the base layer's time, the merged layer counts as adding no latency (timing noise is a few %). */
const NO_LATENCY = 0.05;

/**
 * At the largest T of the run: the paper's claim first (merged, the adapter adds no latency), then what the order
 * of the chain cost: the fused adapter and x(AB) over the base layer, against their FLOPs.
 */
export function verdict(records: RunRecord[], subject: string): string | null {
  for (const run of runsOf(records, ['tokens', 'rank'])) {
    const tokens = Math.max(...run.map((record) => Number(record.params['tokens'])));
    const at = run.filter((record) => record.params['tokens'] === tokens);
    const find = (variant: Variant) => at.find((record) => record.variant === variant);
    const [base, fused, wrong, merged] = [find('base'), find('fused'), find('x(AB)'), find('merged')];
    if (!base || !fused || !wrong || !merged) continue;
    const over = (record: RunRecord) => record.seconds.median / base.seconds.median;
    const { dIn, dOut, rank, dtype } = base.params;
    const [paperMerged, paperAdapter] = claims;
    const holds = Math.abs(over(merged) - 1) <= NO_LATENCY;
    return (
      `With T=${tokens} tokens, a ${dIn}×${dOut} layer and rank ${rank} in ${dtype}, ${subject} ran the layer with the adapter merged ` +
      `into its weight in ${over(merged).toFixed(2)}× the frozen layer's time: ${holds ? 'no added latency, as the paper claims' : 'not the paper\'s "no added latency"'} ` +
      `(it measured ${paperMerged!.value} ms merged against ${paperAdapter!.value} ms with adapter layers; ${paperMerged!.setting}; Hu et al., ` +
      `${paperMerged!.source}, ${paperMerged!.version}). Unmerged, the order decides: the fused adapter cost ${percent(over(fused))} ` +
      `(its FLOPs ${percent(fused.flops / base.flops)}), and the same adapter multiplied as x(AB) ${percent(over(wrong))} (FLOPs ${percent(wrong.flops / base.flops)}).`
    );
  }
  return null;
}
