// The decode-step lab's verdict: the whole model's tokens a second at the longest context measured, against its
// speed of light on the device (the one the model's page computes).
import type { RunRecord } from '../../schemas/results';
import { formatPercent, formatSeconds, significant } from '../format';
import { runsOf, withCaveats, type VerdictContext } from '../verdict';
import { SUPPORTED } from './models';

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
      ],
      run,
      context,
    );
  }
  return null;
}
