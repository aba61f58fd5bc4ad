// The prefill lab's verdict: at the longest prompt measured, one layer's prefill (its kernels' times, each as often as
// it runs in a layer, summed) against its speed of light, the time to the first token it makes for the whole model,
// and the kernels that hold the most of it.
import type { RunRecord } from '../../schemas/results';
import { formatPercent, formatSeconds } from '../format';
import { runsOf, withCaveats, type VerdictContext } from '../verdict';
import { SUPPORTED } from '../decode-step/models';
import { KERNEL_OPS, LAYER_KERNELS, timesInLayer, type LayerKernel } from '../decode-step/verdict';

/** How many of the slowest kernels the verdict names. */
const NAMED = 3;

export function verdict(records: RunRecord[], subject: string, context: VerdictContext = {}): string | null {
  for (const run of runsOf(records, ['tokens'])) {
    const longest = Math.max(...run.map((record) => Number(record.params['tokens'])));
    const kernels = run.filter((record) => record.params['tokens'] === longest && (LAYER_KERNELS as readonly string[]).includes(record.variant));
    if (kernels.length < LAYER_KERNELS.length) continue;
    const layer = kernels.reduce((sum, record) => sum + timesInLayer(record), 0);
    const ideal = kernels.reduce((sum, record) => sum + (record.bound?.seconds ?? 0) * KERNEL_OPS[record.variant as LayerKernel].runs, 0);
    const model = SUPPORTED.find((m) => m.id === run[0]!.params['model']);
    const layers = model?.layers ?? 1;
    const slowest = [...kernels]
      .sort((a, b) => timesInLayer(b) - timesInLayer(a))
      .slice(0, NAMED)
      .map((record) => `${record.variant} ${formatPercent(timesInLayer(record) / layer)} (${formatPercent(record.fractionOfBound)} of its bound)`);
    return withCaveats(
      [
        `For a prompt of ${longest} tokens ${subject} ran one layer of ${model?.name ?? run[0]!.params['model']} in ${formatSeconds(layer)}, ` +
          `its kernels timed alone and summed: ${formatPercent(ideal / layer)} of its speed of light here, ${formatSeconds(ideal)}. ` +
          `Its ${layers} layers make a time to the first token of ${formatSeconds(layers * layer)} (the speed of light: ${formatSeconds(layers * ideal)}).`,
        `The layer's time goes to the ${slowest.join(', the ')}.`,
      ],
      run,
      context,
    );
  }
  return null;
}
