// A decode-step run op by op, for the model's page: each of the layer's kernels timed alone, with the ops of the
// model's graph it runs, its time, its bound and what bounds it; what the layer's time holds besides them; and the
// whole step (the layers and the output head) against its speed of light.
import type { RunRecord } from '../../schemas/results';
import { KERNEL_OPS, LAYER_KERNELS, type LayerKernel } from './verdict';

export interface MeasuredKernel {
  kernel: LayerKernel;
  ops: readonly string[];
  /** Times it runs in a layer (the two norms, the two adds). */
  runs: number;
  seconds: number;
  boundSeconds: number;
  limitedBy: RunRecord['bound']['limitedBy'];
  flops: number;
  bytes: number;
}

export interface MeasuredStep {
  model: string;
  context: number;
  kernels: MeasuredKernel[];
  /** One layer, its kernels chained, and its speed of light (each op's bound, summed). */
  layer: { seconds: number; boundSeconds: number };
  /** The layer's time less its kernels' alone, each as often as it runs: what was not timed alone and the passing from one kernel to the next (never below 0). */
  restSeconds: number;
  /** A whole step: the model's layers times the layer, plus the output head; and its speed of light. */
  step: { seconds: number; boundSeconds: number } | null;
}

/** The run's figures at its longest context: null where it has no layer record with its kernels there. */
export function measuredStep(records: readonly RunRecord[]): MeasuredStep | null {
  const layer = records.filter((record) => record.variant === 'layer').at(-1);
  if (!layer) return null;
  const context = Number(layer.params['context']);
  const at = records.filter((record) => record.params['context'] === layer.params['context']);
  const kernels = LAYER_KERNELS.flatMap((kernel) => {
    const record = at.find((r) => r.variant === kernel);
    return record ? [{ kernel, ...KERNEL_OPS[kernel], seconds: record.seconds.median, boundSeconds: record.bound.seconds, limitedBy: record.bound.limitedBy, flops: record.flops, bytes: record.bytes }] : [];
  });
  if (kernels.length === 0) return null;
  const head = at.find((record) => record.variant === 'output head');
  const x = head?.extra;
  const step = x?.['stepSeconds'] !== undefined && x['speedOfLightTokensPerSecond'] ? { seconds: x['stepSeconds'], boundSeconds: Number(head!.params['batch']) / x['speedOfLightTokensPerSecond'] } : null;
  const summed = kernels.reduce((sum, kernel) => sum + kernel.runs * kernel.seconds, 0);
  return {
    model: String(layer.params['model']),
    context,
    kernels,
    layer: { seconds: layer.seconds.median, boundSeconds: layer.extra?.['idealSeconds'] ?? layer.bound.seconds },
    restSeconds: Math.max(0, layer.seconds.median - summed),
    step,
  };
}
