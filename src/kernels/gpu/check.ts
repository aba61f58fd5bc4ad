// Checking GPU output against the CPU reference (llm.c's validate_result): the largest relative
// error, and when it is too large, the first few mismatches and a hint at what to look at.

export interface CompareOptions {
  /** Largest acceptable |gpu − cpu| / max(|cpu|, floor). */
  tolerance: number;
  /**
   * The smallest denominator, so that outputs near zero (a sum of random terms can land there) are
   * judged on an absolute scale. Default: 1e-3 × the largest |cpu| value.
   */
  floor?: number;
}

export interface Comparison {
  maxRelError: number;
  ok: boolean;
  /** The first few `i: gpu vs cpu` pairs beyond tolerance, then a count and a hint; empty when ok. */
  mismatches: string[];
}

const SHOWN = 5;

export function compare(actual: ArrayLike<number>, expected: ArrayLike<number>, options: CompareOptions): Comparison {
  const { tolerance } = options;
  if (actual.length !== expected.length) {
    return {
      maxRelError: Infinity,
      ok: false,
      mismatches: [`length: gpu ${actual.length} vs cpu ${expected.length}`, 'hint: the output buffer or its read-back has the wrong size'],
    };
  }
  let largest = 0;
  for (let i = 0; i < expected.length; i++) largest = Math.max(largest, Math.abs(expected[i]!));
  const floor = options.floor ?? Math.max(1e-3 * largest, Number.MIN_VALUE);
  let maxRelError = 0;
  let bad = 0;
  let nonFinite = 0;
  let zeros = 0;
  const mismatches: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const error = Number.isFinite(a) ? Math.abs(a - e) / Math.max(Math.abs(e), floor) : Infinity;
    maxRelError = Math.max(maxRelError, error);
    if (error <= tolerance) continue;
    bad++;
    if (!Number.isFinite(a)) nonFinite++;
    if (a === 0) zeros++;
    if (mismatches.length < SHOWN) mismatches.push(`${i}: ${a} vs ${e}`);
  }
  if (bad === 0) return { maxRelError, ok: true, mismatches: [] };
  mismatches.push(`${bad} of ${expected.length} outside tolerance ${tolerance} (max rel error ${maxRelError.toExponential(2)})`);
  mismatches.push(`hint: ${hint(bad, nonFinite, zeros, expected.length)}`);
  return { maxRelError, ok: false, mismatches };
}

function hint(bad: number, nonFinite: number, zeros: number, length: number): string {
  if (nonFinite > 0) return 'NaN or Inf in the GPU output: an uninitialised read, a division by zero or an f16 overflow';
  if (zeros === bad) return 'the GPU left these at zero: the grid or a bounds check does not reach them (try a size that is not a multiple of the tile)';
  if (bad === length) return 'every element is off: a wrong layout, stride or binding, or the wrong kernel version';
  return 'some elements are off: look at the tails of tiles and rows, and at the accumulation order if the errors are small';
}
