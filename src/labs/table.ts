// The one records table: the lab's page, the reference results and the bench show the same columns, in the
// reader's words. Key columns first (what ran, how long, how fast, against the bound, the check); the rest (the
// exact parameters, the spread, the lab's own figures) folded where there is no room.
import type { RunRecord } from '../schemas/results';
import { formatBandwidth, formatFlopRate, formatSeconds } from './format';
import type { Lab } from './types';

export interface RecordTable {
  /** Headers of the key columns, units in them. */
  head: string[];
  rows: string[][];
  /** Per row, the rest as (name, value) pairs. */
  more: [name: string, value: string][][];
  /** Per row, whether it passed its check. */
  ok: boolean[];
}

/**
 * What a lab lends the table: its parameters' labels, units and choices, the names of its own figures, and whether
 * it measures the ceilings (then its fractions of bound are left out).
 */
export type TableLabels = Pick<Lab, 'params' | 'figures'> & Partial<Pick<Lab, 'ceilingsFrom'>>;

/** `123 GB/s` or `45.6 TFLOP/s`, in units by magnitude: the rate of the ceiling that bounds the record. */
function rate(record: RunRecord): string {
  if (record.bound.limitedBy === 'bandwidth') return formatBandwidth(record.achieved.gbps * 1e9);
  return formatFlopRate(record.achieved.gflops * 1e9);
}

/**
 * A parameter as the reader reads it: `d_in 4096`, `Sparsity 50 %`, `Activations Laplace`. A choice shows its label,
 * not its value; a sweep's label names the list (`Sparsity sweep`), and a record holds one of its values, so the
 * word goes.
 */
export function param(labels: TableLabels | undefined, name: string, value: unknown): [string, string] {
  const spec = labels?.params.find((p) => p.name === name);
  const label = spec?.kind === 'list' ? spec.label.replace(/\s*\bsweep\b\s*/i, ' ').trim().replace(/^\w/, (c) => c.toUpperCase()) : spec?.label;
  const shown = spec?.kind === 'choice' ? (spec.choices.find((choice) => choice.value === String(value))?.label ?? String(value)) : String(value);
  return [label ?? labels?.figures?.[name] ?? name, `${shown}${spec?.unit ? ` ${spec.unit}` : ''}`];
}

/** A lab's name in a list or a legend: its title up to the first colon or comma (`TEAL`, `Device probe`). */
export const shortTitle = (lab: Pick<Lab, 'title'>) => lab.title.split(/[:,]/)[0]!.trim();

/**
 * Whether a record's fraction of its bound says nothing: in a lab that measures the ceilings (the probe), every bound
 * is made of the lab's own measurements, so its copy and FMA records sit at 100% by definition.
 */
export const boundIsItself = (labels: Pick<Lab, 'ceilingsFrom'> | undefined) => labels?.ceilingsFrom !== undefined;

/** A lab's own figure: seconds (a name ending in `Seconds`) by their unit, the rest to four digits. */
function figure(labels: TableLabels | undefined, name: string, value: number): [string, string] {
  const label = labels?.figures?.[name] ?? name;
  if (name.endsWith('Seconds')) return [label.replace(/\s*\(s\)$/, ''), formatSeconds(value)];
  return [label, Number(value.toPrecision(4)).toString()];
}

/** A record's parameters in the reader's words: `Working set 256 KiB, Copy size 1024 MiB`. */
export function formatPoint(labels: TableLabels | undefined, params: RunRecord['params']): string {
  return Object.entries(params)
    .map(([name, value]) => param(labels, name, value).join(' '))
    .join(', ');
}

export function recordTable(records: RunRecord[], labels?: TableLabels): RecordTable {
  const head = ['Variant', 'Point', 'Time', 'Achieved', 'Of bound', 'Check'];
  // The point names what changes from row to row; what all rows share is folded with the rest.
  const names = [...new Set(records.flatMap((record) => Object.keys(record.params)))];
  const varying = names.filter((name) => new Set(records.map((record) => String(record.params[name]))).size > 1);
  const shown = new Set(varying.length > 0 ? varying : names);
  const rows = records.map((record) => {
    const point = Object.entries(record.params)
      .filter(([name]) => shown.has(name))
      .map(([name, value]) => param(labels, name, value).join(' '))
      .join(', ');
    return [
      record.variant,
      point,
      formatSeconds(record.seconds.median),
      rate(record),
      boundIsItself(labels) ? '–' : `${(record.fractionOfBound * 100).toFixed(0)}%${record.fractionOfBound > 1.05 ? ' (above the ceiling)' : ''}`,
      `${record.check.ok ? 'ok' : 'FAILED'} (error ${record.check.maxRelError.toExponential(1)})`,
    ];
  });
  const more = records.map((record): [string, string][] => [
    ...Object.entries(record.params).filter(([name]) => !shown.has(name)).map(([name, value]) => param(labels, name, value)),
    ['Time, 10th to 90th percentile', `${formatSeconds(record.seconds.p10)} to ${formatSeconds(record.seconds.p90)} over ${record.seconds.n} runs`],
    ['Timed with', record.timing === 'timestamp' ? 'GPU timestamps' : 'submit and wait'],
    ['Bound', `${formatSeconds(record.bound.seconds)} (${record.bound.limitedBy === 'bandwidth' ? 'memory' : 'compute'})`],
    ['Bandwidth', formatBandwidth(record.achieved.gbps * 1e9)],
    ['Arithmetic', formatFlopRate(record.achieved.gflops * 1e9)],
    ...Object.entries(record.extra ?? {}).map(([name, value]) => figure(labels, name, value)),
  ]);
  return { head, rows, more, ok: records.map((record) => record.check.ok) };
}
