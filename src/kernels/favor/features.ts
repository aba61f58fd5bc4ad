// The random features of FAVOR+ (Choromanski et al., 2020), drawn on the CPU and seeded: m rows ω of length d,
// either independent Gaussians or orthogonal ones (each block of d rows made orthogonal by Gram–Schmidt, then each
// row given the length of a Gaussian vector, chi-distributed, so that each ω is still marginally Gaussian).
import { Random } from '../gpu/random';

export type FeatureKind = 'orthogonal' | 'independent';

const gaussian = (random: Random, length: number) => random.fill(new Float64Array(length), { kind: 'gaussian', mean: 0, std: 1 });

/** ω: (m, d) row-major. */
export function randomFeatures(m: number, d: number, kind: FeatureKind, seed: number): Float32Array {
  const random = new Random(seed);
  const omega = new Float32Array(m * d);
  if (kind === 'independent') {
    omega.set(gaussian(random, m * d));
    return omega;
  }
  for (let start = 0; start < m; start += d) {
    const rows = Math.min(d, m - start);
    const block: Float64Array[] = [];
    while (block.length < rows) {
      const row = gaussian(random, d);
      for (const done of block) {
        let dot = 0;
        for (let i = 0; i < d; i++) dot += row[i]! * done[i]!;
        for (let i = 0; i < d; i++) row[i]! -= dot * done[i]!;
      }
      const norm = Math.hypot(...row);
      if (norm < 1e-6) continue; // a draw (almost) inside the span so far: draw again
      for (let i = 0; i < d; i++) row[i]! /= norm;
      block.push(row);
    }
    block.forEach((row, r) => {
      const length = Math.hypot(...gaussian(random, d));
      for (let i = 0; i < d; i++) omega[(start + r) * d + i] = row[i]! * length;
    });
  }
  return omega;
}

/** ‖ωⱼ‖²/2 for each row: the stabilizing shift of favor.wgsl. */
export function halfSquaredNorms(omega: Float32Array, m: number, d: number): Float32Array {
  const out = new Float32Array(m);
  for (let j = 0; j < m; j++) {
    let sum = 0;
    for (let i = 0; i < d; i++) sum += omega[j * d + i]! ** 2;
    out[j] = sum / 2;
  }
  return out;
}
