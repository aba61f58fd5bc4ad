// The FMA chains on the CPU, rounding as the GPU does: f32 (or f16) after each fused multiply-add.
import { fromHalfBits, toHalfBits } from '../gpu/f16';
import { CHAINS_PER_THREAD, type FmaInputs, type FmaPrecision } from './fma';

const roundHalf = (value: number) => fromHalfBits(toHalfBits(value));

/**
 * The output of each listed thread: its 16 chains, chain c of thread t starting from
 * seeds[(4t + c / 4) mod seedWords][c mod 4], stepped `iterations` times, then summed as fma.wgsl sums.
 */
export function fmaReference(inputs: FmaInputs, iterations: number, precision: FmaPrecision, threads: ArrayLike<number>): Float64Array {
  // x * a is exact in a double for f32 and f16 inputs, so one rounding after the add is a fused multiply-add.
  const round = precision === 'f16' ? roundHalf : Math.fround;
  const seedWords = inputs.seeds.length / 4;
  const out = new Float64Array(threads.length);
  const x = new Float64Array(CHAINS_PER_THREAD);
  for (let t = 0; t < threads.length; t++) {
    const thread = threads[t]!;
    for (let c = 0; c < CHAINS_PER_THREAD; c++) x[c] = round(inputs.seeds[((4 * thread + (c >> 2)) % seedWords) * 4 + (c & 3)]!);
    for (let c = 0; c < CHAINS_PER_THREAD; c++) {
      const a = round(inputs.a[c & 3]!);
      const b = round(inputs.b[c & 3]!);
      let value = x[c]!;
      for (let i = 0; i < iterations; i++) value = round(value * a + b);
      x[c] = value;
    }
    // sum = (x0 + x1) + (x2 + x3) per component, then (s.x + s.y) + (s.z + s.w).
    const sum = [0, 1, 2, 3].map((k) => round(round(x[k]! + x[4 + k]!) + round(x[8 + k]! + x[12 + k]!)));
    out[t] = round(round(sum[0]! + sum[1]!) + round(sum[2]! + sum[3]!));
  }
  return out;
}
