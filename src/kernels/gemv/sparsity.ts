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
