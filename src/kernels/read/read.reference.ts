// The read on the CPU: the sum of each block of `blockWords` 16-byte words (4 f32 each), in order.

/** (ceil(values.length / (4 × blockWords))) sums of consecutive blocks of `values`, the last block possibly short. */
export function readPartials(values: Float32Array, blockWords: number): Float64Array {
  const blockValues = 4 * blockWords;
  const partials = new Float64Array(Math.ceil(values.length / blockValues));
  for (let i = 0; i < values.length; i++) partials[Math.floor(i / blockValues)]! += values[i]!;
  return partials;
}
