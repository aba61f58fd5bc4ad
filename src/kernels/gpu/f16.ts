// IEEE half-precision bits for `shader-f16` buffers (Node 22 has no Float16Array): round to nearest even.

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** The f16 bit pattern nearest to `value`. */
export function toHalfBits(value: number): number {
  scratch[0] = value;
  const bits = scratchBits[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    const rounded = full >>> shift;
    const remainder = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    return sign | (rounded + (remainder > half || (remainder === half && rounded & 1) ? 1 : 0));
  }
  const rounded = (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  return sign | (rounded + (remainder > 0x1000 || (remainder === 0x1000 && rounded & 1) ? 1 : 0));
}

/** The value of an f16 bit pattern. */
export function fromHalfBits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

let halfTable: Float32Array | undefined;

/** The value of every f16 bit pattern, made once: a lookup costs far less than fromHalfBits. */
export function halfValues(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits++) halfTable[bits] = fromHalfBits(bits);
  }
  return halfTable;
}

/**
 * `values` as f16 bit patterns, in a plain loop: `Uint16Array.from(values, toHalfBits)` calls through the iterator
 * protocol and took 0.2 µs a value (3.4 s for a 4096² matrix), which made the f16 labs' inputs slower than their runs.
 */
export function toHalfArray(values: ArrayLike<number>, length = values.length): Uint16Array {
  const bits = new Uint16Array(length);
  for (let i = 0; i < values.length; i++) bits[i] = toHalfBits(values[i]!);
  return bits;
}

/** `values` rounded to the nearest f16, as f32. */
export function roundedToHalf(values: ArrayLike<number>): Float32Array {
  const table = halfValues();
  const rounded = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) rounded[i] = table[toHalfBits(values[i]!)]!;
  return rounded;
}

/** f16 bit patterns as f32 values. */
export function fromHalfArray(bits: Uint16Array): Float32Array {
  const table = halfValues();
  const values = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) values[i] = table[bits[i]!]!;
  return values;
}
