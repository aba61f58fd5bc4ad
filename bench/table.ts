// The bench's table: the same columns as the lab's page (src/labs/table.ts), as text, one record a line, with
// what the page folds written after the key columns. The time keeps one more digit than the page's: the bench log
// is read to compare close runs.
import { recordTable, type TableLabels } from '../src/labs/table';
import type { RunRecord } from '../src/schemas/results';

function seconds(value: number): string {
  if (value >= 1) return `${value.toFixed(3)} s`;
  if (value >= 1e-3) return `${(value * 1e3).toFixed(3)} ms`;
  return `${(value * 1e6).toFixed(2)} µs`;
}

/**
 * One line per record. On a software adapter a share above the bound is not flagged: its ceilings are the CPU's
 * and move with its load.
 */
export function formatTable(records: RunRecord[], options: { software?: boolean; labels?: TableLabels } = {}): string {
  const { head, rows, more } = recordTable(records, options.labels);
  const time = head.indexOf('Time');
  const share = head.indexOf('Of bound');
  const lines = rows.map((cells, i) => {
    const row = [...cells];
    row[time] = seconds(records[i]!.seconds.median);
    if (options.software) row[share] = row[share]!.replace(' (above the ceiling)', '');
    return [...row, more[i]!.map(([name, value]) => `${name}: ${value}`).join('; ')];
  });
  const header = [...head, 'More'];
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
  return [header, ...lines].map((line) => line.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}
