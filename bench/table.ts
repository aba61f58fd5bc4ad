// The bench's readable table of records.
import { formatParams, formatRate } from '../src/labs/format';
import type { RunRecord } from '../src/schemas/results';

/** One more digit than the site's formatSeconds: the bench log is read to compare close runs. */
function seconds(value: number): string {
  if (value >= 1) return `${value.toFixed(3)} s`;
  if (value >= 1e-3) return `${(value * 1e3).toFixed(3)} ms`;
  return `${(value * 1e6).toFixed(2)} µs`;
}

/** The lab's own figures (a speedup, an error), three significant digits. */
function extra(record: RunRecord): string {
  return Object.entries(record.extra ?? {})
    .map(([name, value]) => `${name}=${Number.isInteger(value) ? value : value.toPrecision(3)}`)
    .join(' ');
}

/**
 * One line per record: variant, parameters, median and spread, method, rates, share of the bound, check, extra.
 * On a software adapter a share above the bound is not flagged: its ceilings are the CPU's and move with its load.
 */
export function formatTable(records: RunRecord[], options: { software?: boolean } = {}): string {
  const header = ['variant', 'params', 'median', 'p10..p90', 'n', 'timing', 'GB/s', 'GFLOP/s', 'of bound', 'check', 'extra'];
  const rows = records.map((record) => [
    record.variant,
    formatParams(record.params),
    seconds(record.seconds.median),
    `${seconds(record.seconds.p10)}..${seconds(record.seconds.p90)}`,
    String(record.seconds.n),
    record.timing,
    formatRate(record.achieved.gbps),
    formatRate(record.achieved.gflops),
    `${(record.fractionOfBound * 100).toFixed(1)}% ${record.bound.limitedBy === 'bandwidth' ? 'bw' : 'fl'}${record.fractionOfBound > 1.05 && !options.software ? ' (above!)' : ''}`,
    `${record.check.ok ? 'ok' : 'FAILED'} ${record.check.maxRelError.toExponential(1)}`,
    extra(record),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  return [header, ...rows].map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}
