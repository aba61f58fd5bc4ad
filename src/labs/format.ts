// Formatting shared by the server-rendered reference tables and the live lab.

/** `1.23 ms`, `45.6 µs`, `2.00 s`. */
export function formatSeconds(seconds: number): string {
  if (seconds >= 1) return `${seconds.toFixed(2)} s`;
  if (seconds >= 1e-3) return `${(seconds * 1e3).toFixed(2)} ms`;
  return `${(seconds * 1e6).toFixed(1)} µs`;
}

/** A rate with three significant digits and no exponent: `2979`, `41.2`, `0.0173`. */
export function formatRate(value: number): string {
  return value >= 1000 ? value.toFixed(0) : Number(value.toPrecision(3)).toString();
}
