// The matrix chains on the CPU, in f64: chain j of subgroup s ends at start + iterations · (A·B), which is
// what the GPU computes exactly for matrixInputs' values (matrix.ts, MAX_ITERATIONS).
import { fromHalfBits } from '../gpu/f16';
import { CHAINS_PER_SUBGROUP, TILE, TILE_ELEMENTS, type MatrixInputs, type MatrixShape } from './matrix';

/**
 * The output of matrix.wgsl for the `subgroups` listed (all by default), (subgroups, CHAINS_PER_SUBGROUP, 16, 16)
 * row-major: subgroup s multiplies pair s mod tilePairs; its chain j starts from start tile
 * (s · CHAINS_PER_SUBGROUP + j) mod startTiles.
 */
export function matrixReference(
  inputs: MatrixInputs,
  shape: MatrixShape,
  subgroups: readonly number[] = Array.from({ length: shape.subgroups }, (_, s) => s),
): Float64Array {
  const tilePairs = inputs.tiles.length / (2 * TILE_ELEMENTS);
  const startTiles = inputs.starts.length / TILE_ELEMENTS;
  // product: (tilePairs, 16, 16) A·B of each pair.
  const product = new Float64Array(tilePairs * TILE_ELEMENTS);
  for (let p = 0; p < tilePairs; p++) {
    const a = p * 2 * TILE_ELEMENTS;
    const b = a + TILE_ELEMENTS;
    for (let row = 0; row < TILE; row++) {
      for (let column = 0; column < TILE; column++) {
        let sum = 0;
        for (let k = 0; k < TILE; k++) sum += fromHalfBits(inputs.tiles[a + row * TILE + k]!) * fromHalfBits(inputs.tiles[b + k * TILE + column]!);
        product[p * TILE_ELEMENTS + row * TILE + column] = sum;
      }
    }
  }
  const out = new Float64Array(subgroups.length * CHAINS_PER_SUBGROUP * TILE_ELEMENTS);
  for (const [i, s] of subgroups.entries()) {
    const pair = (s % tilePairs) * TILE_ELEMENTS;
    for (let j = 0; j < CHAINS_PER_SUBGROUP; j++) {
      const chain = s * CHAINS_PER_SUBGROUP + j;
      const start = (chain % startTiles) * TILE_ELEMENTS;
      const at = (i * CHAINS_PER_SUBGROUP + j) * TILE_ELEMENTS;
      for (let e = 0; e < TILE_ELEMENTS; e++) out[at + e] = inputs.starts[start + e]! + shape.iterations * product[pair + e]!;
    }
  }
  return out;
}
