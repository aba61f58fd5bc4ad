// Plot specs more than one lab draws.
import type { PlotSpec } from './types';

/** The plot every timed lab opens with: the median time of each variant against `x` on log axes, each with its bound dashed. */
export function timePlot(title: string, x: { field: string; label: string }, variants?: string[]): PlotSpec {
  return {
    id: 'time',
    title,
    x: { ...x, log: true },
    y: { field: 'seconds.median', label: 'seconds', log: true },
    ...(variants && { variants }),
    bound: 'bound.seconds',
  };
}
