// Exports: CSV of run records (one row per record, the nested fields flattened, extras as their own columns), and
// a file saved from the page.
import type { RunRecord } from '../../schemas/results';

function cell(value: unknown): string {
  const text = String(value ?? '');
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(records: RunRecord[]): string {
  const paramKeys = [...new Set(records.flatMap((r) => Object.keys(r.params)))];
  const extraKeys = [...new Set(records.flatMap((r) => Object.keys(r.extra ?? {})))];
  const header = ['lab', 'variant', ...paramKeys, 'median_s', 'p10_s', 'p90_s', 'n', 'timing', 'flops', 'bytes', 'gbps', 'gflops', 'bound_s', 'limited_by', 'fraction_of_bound', 'max_rel_error', 'check_ok', ...extraKeys];
  const rows = records.map((r) => [
    r.lab, r.variant, ...paramKeys.map((k) => r.params[k]), r.seconds.median, r.seconds.p10, r.seconds.p90, r.seconds.n, r.timing,
    r.flops, r.bytes, r.achieved.gbps, r.achieved.gflops, r.bound.seconds, r.bound.limitedBy, r.fractionOfBound,
    r.check.maxRelError, r.check.ok, ...extraKeys.map((k) => r.extra?.[k]),
  ]);
  return [header, ...rows].map((row) => row.map(cell).join(',')).join('\n') + '\n';
}

/** Saves `text` as a file named `name` (a download the browser asks about or keeps). */
export function downloadText(text: string, type: 'application/json' | 'text/csv', name: string): void {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([text], { type }));
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}
