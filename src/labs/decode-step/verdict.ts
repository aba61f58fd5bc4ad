// The decode-step lab's verdict: the whole model's tokens a second at the longest context measured, against its
// speed of light on the device.
import type { RunRecord } from '../../schemas/results';
import { runsOf } from '../verdict';
import { SUPPORTED } from './models';

export function verdict(records: RunRecord[], subject: string): string | null {
  for (const run of runsOf(records, ['context'])) {
    const head = run.filter((record) => record.variant === 'output head').at(-1);
    const layer = run.find((record) => record.variant === 'layer' && record.params['context'] === head?.params['context']);
    if (!head || !layer) continue;
    const x = head.extra!;
    const model = SUPPORTED.find((m) => m.id === head.params['model']);
    const us = (seconds: number) => `${(seconds * 1e6).toFixed(seconds < 1e-4 ? 1 : 0)} µs`;
    return (
      `${subject} ran decode steps of ${model?.name ?? head.params['model']} at ${x['tokensPerSecond']!.toFixed(x['tokensPerSecond']! < 10 ? 2 : 0)} tokens a second ` +
      `(${head.params['batch']} sequence${head.params['batch'] === 1 ? '' : 's'}, ${head.params['context']} tokens of context, ${head.params['weights']} weights): ` +
      `${(100 * x['fractionOfSpeedOfLight']!).toFixed(0)}% of its speed of light here, ${x['speedOfLightTokensPerSecond']!.toFixed(0)} tokens a second. ` +
      `One of its ${x['layers']} layers took ${us(layer.seconds.median)} (its bytes alone: ${us(layer.extra!['idealSeconds']!)}), the output head ${us(head.seconds.median)}.`
    );
  }
  return null;
}
