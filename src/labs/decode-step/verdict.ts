// The decode-step lab's verdict: the whole model's tokens a second at the longest context measured, against its
// speed of light on the device (the one the model's page computes), and where one layer's time goes, kernel by kernel.
import type { RunRecord } from '../../schemas/results';
import { formatPercent, formatSeconds, significant } from '../format';
import { runsOf, withCaveats, type VerdictContext } from '../verdict';
import { SUPPORTED } from './models';

/** The layer's kernels each timed alone at the layer's shapes, in the reader's words: its products, attention, and its small ops. */
export const LAYER_KERNELS = ['QKV product', 'attention', 'output product', 'gate and up product', 'down product', 'RMSNorm', 'residual add', 'SiLU · up'] as const;
export type LayerKernel = (typeof LAYER_KERNELS)[number];

/**
 * The ops of the model's graph (src/models/graph.ts) each kernel runs, and how many times it runs in a layer: q, k
 * and v are one product here, as gate and up are; the norm and the residual add run twice, once for each op.
 */
export const KERNEL_OPS: Record<LayerKernel, { ops: readonly string[]; runs: number }> = {
  'QKV product': { ops: ['q_proj', 'k_proj', 'v_proj'], runs: 1 },
  attention: { ops: ['attention'], runs: 1 },
  'output product': { ops: ['o_proj'], runs: 1 },
  'gate and up product': { ops: ['gate_proj', 'up_proj'], runs: 1 },
  'down product': { ops: ['down_proj'], runs: 1 },
  RMSNorm: { ops: ['attn_norm', 'mlp_norm'], runs: 2 },
  'residual add': { ops: ['attn_residual', 'mlp_residual'], runs: 2 },
  'SiLU · up': { ops: ['act_mul'], runs: 1 },
};

/** A kernel's time in a layer: its time alone, as often as it runs there. */
export const timesInLayer = (record: RunRecord) => record.seconds.median * (KERNEL_OPS[record.variant as LayerKernel]?.runs ?? 1);

/** The layer's kernels timed alone, slowest first: each one's time, share of the layer and of its bound; and their sum. */
function kernelsSentence(run: RunRecord[], layer: RunRecord): string | null {
  const kernels = run
    .filter((record) => (LAYER_KERNELS as readonly string[]).includes(record.variant) && record.params['context'] === layer.params['context'])
    .sort((a, b) => b.seconds.median - a.seconds.median);
  if (kernels.length === 0) return null;
  const total = kernels.reduce((sum, record) => sum + timesInLayer(record), 0);
  const each = kernels.map((record) => {
    const runs = KERNEL_OPS[record.variant as LayerKernel].runs;
    return `${record.variant} ${formatSeconds(record.seconds.median)}${runs > 1 ? ` (×${runs})` : ''} (${formatPercent(record.fractionOfBound)} of its bound)`;
  });
  const share = `together ${formatPercent(total / layer.seconds.median)} of the layer's time`;
  const rest =
    total < layer.seconds.median
      ? `${share}, the rest being what was not timed alone (rotary positions with the cache append) and the passing from one kernel to the next`
      : `${share}: alone they took longer than in the layer, where one kernel's dispatch overlaps the end of the one before`;
  return `Timed alone at the layer's shapes, its kernels took ${each.join(', ')}: ${rest}.`;
}

export function verdict(records: RunRecord[], subject: string, context: VerdictContext = {}): string | null {
  for (const run of runsOf(records, ['context'])) {
    const head = run.filter((record) => record.variant === 'output head').at(-1);
    const layer = run.find((record) => record.variant === 'layer' && record.params['context'] === head?.params['context']);
    if (!head || !layer) continue;
    const x = head.extra!;
    const model = SUPPORTED.find((m) => m.id === head.params['model']);
    const { batch, context: tokens, weights } = head.params;
    return withCaveats(
      [
        `At a context of ${tokens} tokens ${subject} ran decode steps of ${model?.name ?? head.params['model']} at ${significant(x['tokensPerSecond']!)} tokens a second ` +
          `(${batch} sequence${batch === 1 ? '' : 's'}, ${weights} weights): ${formatPercent(x['fractionOfSpeedOfLight']!)} of its speed of light here, ` +
          `${significant(x['speedOfLightTokensPerSecond']!)} tokens a second.`,
        `One of its ${x['layers']} layers took ${formatSeconds(layer.seconds.median)} (its speed of light: ${formatSeconds(layer.extra!['idealSeconds']!)}), ` +
          `the output head ${formatSeconds(head.seconds.median)}.`,
        ...[kernelsSentence(run, layer)].filter((sentence): sentence is string => sentence !== null),
      ],
      run,
      context,
    );
  }
  return null;
}
