// TEAL's magnitude sparsity on the CPU: the threshold that zeroes a target fraction of x, and which rows of
// Wᵀ a sparse GEMV then has to read. One threshold serves every token of a batch, as TEAL calibrates one per
// layer; a row is read when any token keeps its entry, so a batch reads the union of its tokens' rows.

/**
 * The threshold t such that a `sparsity` fraction of x's entries has |x| ≤ t: the sparsity-quantile of |x|.
 * Entries with |x| > t survive. At sparsity 0, t = −1 (everything survives); at 1, t = max |x| (nothing does).
 * t is one of |x|'s own values, so an f32 comparison on the GPU gives the same mask as this one.
 */
export function thresholdFor(x: ArrayLike<number>, sparsity: number): number {
  if (!(sparsity >= 0 && sparsity <= 1)) throw new RangeError(`thresholdFor: sparsity must be in [0, 1], got ${sparsity}`);
  if (x.length === 0) throw new RangeError('thresholdFor: x is empty');
  const skipped = Math.round(sparsity * x.length);
  if (skipped === 0) return -1;
  const magnitudes = Float64Array.from(x, Math.abs).sort();
  return magnitudes[skipped - 1]!;
}

/** How many of the dIn rows of Wᵀ some token keeps: x is (batch, dIn), an entry survives when |x| > threshold. */
export function keptRows(x: ArrayLike<number>, batch: number, dIn: number, threshold: number): number {
  let kept = 0;
  for (let i = 0; i < dIn; i++) {
    for (let b = 0; b < batch; b++) {
      if (Math.abs(x[b * dIn + i]!) > threshold) {
        kept++;
        break;
      }
    }
  }
  return kept;
}

/** erf by Abramowitz and Stegun 7.1.26 (absolute error under 1.5e-7): enough for a plotted curve. */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return Math.sign(x) * (1 - poly * Math.exp(-x * x));
}

/** u ≥ 0 with P(|z| ≤ u) = s for a standard normal z, by bisection. */
function gaussianQuantile(s: number): number {
  let low = 0;
  let high = 10;
  for (let i = 0; i < 80; i++) {
    const mid = (low + high) / 2;
    if (erf(mid / Math.SQRT2) < s) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

/**
 * The expected relative error ‖W(x − s_t(x))‖ / ‖Wx‖ at sparsity s (0 ≤ s < 1) for a W with independent zero-mean
 * entries: the square root of the share of x's energy dropped (the TEAL note's derivation), with u the threshold
 * over the scale: √(s − 2uφ(u)) for Gaussian x, √(1 − e^(−u)(1 + u + u²/2)) for Laplacian x.
 */
export function expectedRelativeError(s: number, distribution: 'gaussian' | 'laplace'): number {
  if (s <= 0) return 0;
  if (distribution === 'laplace') {
    const u = -Math.log(1 - s);
    return Math.sqrt(Math.max(0, 1 - Math.exp(-u) * (1 + u + (u * u) / 2)));
  }
  const u = gaussianQuantile(s);
  const density = Math.exp(-(u * u) / 2) / Math.sqrt(2 * Math.PI);
  return Math.sqrt(Math.max(0, s - 2 * u * density));
}
