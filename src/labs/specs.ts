// Parameter and plot specs more than one lab uses.
import type { PlotSpec } from './types';

/**
 * The plot every timed lab opens with: the median time of each variant against `x` on log axes, each with its bound
 * dashed; only `variants`, if named, and one panel a value of `facet`, if given.
 */
export function timePlot(
  title: string,
  x: { field: string; label: string },
  options: Pick<PlotSpec, 'variants' | 'facet'> = {},
): PlotSpec {
  return {
    id: 'time',
    title,
    x: { ...x, log: true },
    y: { field: 'seconds.median', label: 'Time', unit: 'seconds', log: true },
    ...options,
    bound: 'bound.seconds',
  };
}

/** The attention labs' head dimension: the sizes models use (d = 80 is not a power of two, on purpose). */
export const HEAD_DIM_PARAM = {
  name: 'headDim',
  label: 'Head dimension (d)',
  kind: 'choice',
  default: '128',
  choices: [
    { value: '64', label: '64' },
    { value: '80', label: '80' },
    { value: '128', label: '128' },
  ],
} as const;
