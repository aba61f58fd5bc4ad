// Formatting shared by the server-rendered reference tables, the live lab and the verdicts: every quantity a reader
// sees in a unit chosen by its magnitude (`42.00 ms`, never `41998 µs`; `60.1 MFLOP/s`, never `0.0000601 TFLOP/s`).

/** A unit's size in the base unit and its symbol, smallest first. */
type Units = readonly (readonly [size: number, symbol: string])[];

/** Three significant digits and no exponent: `42.0`, `3.35`, `0.532`; whole numbers from 999.5 up; `0`. */
export function significant(value: number): string {
  if (value === 0) return '0';
  return Math.abs(value) >= 999.5 ? value.toFixed(0) : value.toPrecision(3);
}

/** `value` in the largest unit it is at least one of (after rounding: 999.6 µs is `1.00 ms`), the smallest below that. */
function byMagnitude(value: number, units: Units, digits: (scaled: number) => string = significant): string {
  let [size, symbol] = units[0]!;
  for (const unit of units) if (Math.abs(value) / unit[0] >= 0.9995) [size, symbol] = unit;
  return `${digits(value / size)} ${symbol}`;
}

const LONG_TIMES: Units = [
  [60, 'min'],
  [3600, 'h'],
];

/**
 * `45.6 µs`, `1.23 ms`, `2.00 s` (two decimals from a millisecond, one below: what the tables and plot ticks have
 * always shown); below a microsecond in ns, from a minute in min and h, with three significant digits: `62.2 min`.
 */
export function formatSeconds(seconds: number): string {
  if (Math.abs(seconds) >= 59.995) return byMagnitude(seconds, LONG_TIMES);
  if (seconds >= 0.9995) return `${seconds.toFixed(2)} s`;
  if (seconds >= 0.9995e-3) return `${(seconds * 1e3).toFixed(2)} ms`;
  if (seconds >= 0.9995e-6 || seconds === 0) return `${(seconds * 1e6).toFixed(1)} µs`;
  return byMagnitude(seconds * 1e9, [[1, 'ns']]);
}

/** A rate with three significant digits and no exponent: `2979`, `41.2`, `0.0173`. */
export function formatRate(value: number): string {
  return value >= 1000 ? value.toFixed(0) : Number(value.toPrecision(3)).toString();
}

const DECIMAL = (unit: string): Units => [
  [1, unit],
  [1e3, `k${unit}`],
  [1e6, `M${unit}`],
  [1e9, `G${unit}`],
  [1e12, `T${unit}`],
  [1e15, `P${unit}`],
];

/** Bytes in decimal units (`3.24 GB`, `120 kB`), or binary ones where sizes are powers of two (`48.0 KiB`). */
export function formatBytes(bytes: number, binary = false): string {
  if (!binary) return byMagnitude(bytes, DECIMAL('B'));
  return byMagnitude(bytes, [
    [1, 'B'],
    [2 ** 10, 'KiB'],
    [2 ** 20, 'MiB'],
    [2 ** 30, 'GiB'],
    [2 ** 40, 'TiB'],
  ]);
}

/** Floating-point operations (an FMA counts 2): `213 kFLOP`, `137 GFLOP`. */
export function formatFlops(flops: number): string {
  return byMagnitude(flops, DECIMAL('FLOP'));
}

/** An arithmetic rate from FLOPs a second: `60.1 MFLOP/s`, `13.7 TFLOP/s`. */
export function formatFlopRate(flopsPerSecond: number): string {
  return byMagnitude(flopsPerSecond, DECIMAL('FLOP/s'));
}

/** A bandwidth from bytes a second: `1.26 GB/s`, `3.00 TB/s`. */
export function formatBandwidth(bytesPerSecond: number): string {
  return byMagnitude(bytesPerSecond, DECIMAL('B/s'));
}

/** A ratio with three significant digits: `2.00×`, `0.532×`, `18.0×`. */
export function formatRatio(ratio: number): string {
  return `${significant(ratio)}×`;
}

/** A share in per cent: whole from 10% (`54%`, `195%`), one decimal from 1% (`3.2%`), two significant digits below (`0.027%`). */
export function formatPercent(fraction: number): string {
  const percent = 100 * fraction;
  const size = Math.abs(percent);
  return `${size >= 9.95 ? percent.toFixed(0) : size >= 0.995 || percent === 0 ? percent.toFixed(1) : Number(percent.toPrecision(2))}%`;
}
