// The accuracy sweep's figures: how far FAVOR+'s output is from exact attention, mean and spread over SEEDS draws of
// the random features, each computed in float64 on the CPU from the point's own inputs (the GPU's FAVOR+ is checked
// against the same computation before it is timed).
import { attentionRows } from '../../kernels/attention/attention.reference';
import { favorRows } from '../../kernels/favor/favor.reference';
import { randomFeatures } from '../../kernels/favor/features';
import { favor, type FavorRun } from '../../kernels/favor/index';
import { versionOf } from '../../kernels/family';
import { Random } from '../../kernels/gpu/random';

/** Draws of the random features per accuracy point: the error's mean and spread are over these. */
export const SEEDS = 5;
/** Rows of the first head whose error is measured. */
const ERROR_ROWS = 64;
/** Draw s of the features is seeded FEATURE_SEED + 1000·s. */
const FEATURE_SEED = 21;

/** ‖actual − expected‖ / ‖expected‖. */
function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let difference = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    difference += (actual[i]! - expected[i]!) ** 2;
    norm += expected[i]! ** 2;
  }
  return Math.sqrt(difference / norm);
}

/** The error against exact attention over the first min(N, 64) rows of head 0, at the inputs the harness drew from `seed`. */
export function accuracyOf(shape: FavorRun, seed: number): { relError: number; relErrorSpread: number; seeds: number } {
  const { q, k, v, qs, ks } = favor.inputs(shape, new Random(seed), versionOf(favor, 'favor'));
  const rows = [...Array(Math.min(shape.seqLen, ERROR_ROWS)).keys()];
  const head = { b: 0, h: 0 };
  const exact = attentionRows({ ...shape, causal: false }, q, k, v, head, rows);
  const errors = Array.from({ length: SEEDS }, (_, draw) => {
    const omega = randomFeatures(shape.features, shape.headDim, shape.kind, FEATURE_SEED + 1000 * draw);
    return relativeError(favorRows(shape, qs, ks, v, omega, head, rows), exact);
  });
  const mean = errors.reduce((a, b) => a + b) / errors.length;
  const spread = Math.sqrt(errors.reduce((sum, error) => sum + (error - mean) ** 2, 0) / errors.length);
  return { relError: mean, relErrorSpread: spread, seeds: SEEDS };
}
