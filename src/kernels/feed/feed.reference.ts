// The feed kernel on the CPU, in f64: block w of the output is Σ_d n_d · A[:, 16d..16d+16) · B[16d..16d+16, :]
// of block pair w mod pairs, where n_d counts the steps s < iterations with s mod DEPTHS = d. The GPU computes
// exactly this for feedInputs' values (feed.ts, MAX_ITERATIONS).
import { fromHalfBits } from '../gpu/f16';
import { TILE } from '../matrix/matrix';
import { BLOCK, DEPTHS, type FeedInputs, type FeedShape } from './feed';

/** Steps that load their tiles at depth offset d: s < iterations with s mod DEPTHS = d. */
export function stepsAtDepth(iterations: number, depth: number): number {
  return Math.max(0, Math.ceil((iterations - depth) / DEPTHS));
}

/** The output rows listed (rows of (workgroups · BM, BN), all by default): row r is row r mod BM of block ⌊r / BM⌋. */
export function feedReference(
  inputs: FeedInputs,
  shape: FeedShape,
  rows: readonly number[] = Array.from({ length: shape.workgroups * BLOCK.m }, (_, r) => r),
): Float64Array {
  const pairs = inputs.a.length / (BLOCK.m * BLOCK.k);
  const counts = Array.from({ length: DEPTHS }, (_, d) => stepsAtDepth(shape.iterations, d));
  const out = new Float64Array(rows.length * BLOCK.n);
  for (const [i, r] of rows.entries()) {
    const pair = Math.floor(r / BLOCK.m) % pairs;
    const aRow = (pair * BLOCK.m + (r % BLOCK.m)) * BLOCK.k;
    const bBlock = pair * BLOCK.k * BLOCK.n;
    for (let k = 0; k < BLOCK.k; k++) {
      const weight = counts[Math.floor(k / TILE)]! * fromHalfBits(inputs.a[aRow + k]!);
      for (let column = 0; column < BLOCK.n; column++) out[i * BLOCK.n + column]! += weight * fromHalfBits(inputs.b[bBlock + k * BLOCK.n + column]!);
    }
  }
  return out;
}
