// Draws a lab's PlotSpecs with Observable Plot: the measured series, each record's bound (dashed), the reference
// results from named GPUs (faint), and fixed guides such as an ideal curve or a paper's reported points.
import type { PlotSpec } from '../../labs/types';
import type { RunRecord } from '../../schemas/results';
import { memoryGBps } from '../../labs/record';

type PlotModule = typeof import('@observablehq/plot');

/**
 * Plot names each mark's group with aria-label but gives it no role, which ARIA forbids; the figure keeps its
 * own label, and the groups lose theirs.
 */
function tidyAria<T extends Element>(figure: T): T {
  for (const group of figure.querySelectorAll('g[aria-label]')) group.removeAttribute('aria-label');
  return figure;
}

/** A dotted path into a record: `params.sparsity`, `seconds.median`, `extra.speedup`. */
export function field(record: RunRecord, path: string): number | string | boolean | undefined {
  let value: unknown = record;
  for (const key of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[key];
  return value as number | string | boolean | undefined;
}

interface Row { x: number; y: number; series: string }

/**
 * Each record's series: its `series` field, plus any parameter (other than the x axis) that takes several values
 * within that series, so that runs at different sizes or types are separate lines, not one zigzag.
 */
export function seriesNames(records: RunRecord[], spec: PlotSpec): string[] {
  const seriesField = spec.series ?? 'variant';
  const xKey = spec.x.field.startsWith('params.') ? spec.x.field.slice('params.'.length) : undefined;
  const base = records.map((r) => String(field(r, seriesField)));
  const varying = new Map<string, string[]>();
  for (const name of new Set(base)) {
    const members = records.filter((_, i) => base[i] === name);
    const keys = [...new Set(members.flatMap((r) => Object.keys(r.params)))].filter(
      (key) => key !== xKey && new Set(members.map((r) => String(r.params[key]))).size > 1,
    );
    varying.set(name, keys);
  }
  return records.map((r, i) => [base[i]!, ...varying.get(base[i]!)!.map((key) => `${key}=${String(r.params[key])}`)].join(' '));
}

/** The records a plot draws: those of its variants, if it names any. */
export function plotted(records: RunRecord[], spec: PlotSpec): RunRecord[] {
  return spec.variants ? records.filter((r) => spec.variants!.includes(r.variant)) : records;
}

function rows(all: RunRecord[], spec: PlotSpec, yField: string, prefix = ''): Row[] {
  const records = plotted(all, spec);
  const names = seriesNames(records, spec);
  return records
    .map((r, i) => ({ x: Number(field(r, spec.x.field)), y: Number(field(r, yField)), series: `${prefix}${names[i]}` }))
    .filter((row) => Number.isFinite(row.x) && Number.isFinite(row.y) && (!spec.y.log || row.y > 0) && (!spec.x.log || row.x > 0));
}

export function renderPlot(
  Plot: PlotModule,
  spec: PlotSpec,
  records: RunRecord[],
  reference: { device: string; records: RunRecord[] }[],
): SVGSVGElement | HTMLElement {
  const measured = rows(records, spec, spec.y.field);
  const bounds = spec.bound ? rows(records, spec, spec.bound).map((r) => ({ ...r, series: `${r.series} (bound)` })) : [];
  const referenced = reference.flatMap((ref) => rows(ref.records, spec, spec.y.field, `${ref.device}: `));
  const xs = [...measured, ...referenced].map((r) => r.x);
  const [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  const guides = (spec.guides ?? []).flatMap((guide) => {
    const curve = guide.fn && xs.length > 0
      ? Array.from({ length: 64 }, (_, i) => xMin + ((xMax - xMin) * i) / 63).map((x) => ({ x, y: guide.fn!(x), series: guide.label }))
      : [];
    return [
      Plot.line(curve.filter((p) => Number.isFinite(p.y)), { x: 'x', y: 'y', stroke: 'series', strokeDasharray: '2 4' }),
      Plot.dot(guide.points ?? [], { x: 'x', y: 'y', symbol: 'diamond', r: 5, stroke: () => guide.label, fill: 'currentColor' }),
      Plot.text(guide.points ?? [], { x: 'x', y: 'y', text: 'label', dy: -10, fontSize: 11 }),
    ];
  });
  return tidyAria(Plot.plot({
    title: spec.title,
    ariaLabel: spec.title,
    width: 720,
    height: 340,
    marginLeft: 64,
    grid: true,
    x: { label: spec.x.label, type: spec.x.log ? 'log' : 'linear' },
    y: { label: spec.y.label, type: spec.y.log ? 'log' : 'linear', nice: true },
    color: { legend: true },
    marks: [
      Plot.line(referenced, { x: 'x', y: 'y', stroke: 'series', strokeOpacity: 0.45, marker: 'circle-stroke' }),
      Plot.line(bounds, { x: 'x', y: 'y', stroke: 'series', strokeDasharray: '6 4', strokeOpacity: 0.7 }),
      Plot.line(measured, { x: 'x', y: 'y', stroke: 'series', marker: 'circle' }),
      ...guides,
    ],
  }));
}

/** A device's roofline: attainable GFLOP/s = min(peak, intensity × the faster of copy and read bandwidth), on log-log axes. */
export interface RooflineDevice { name: string; copyGBps: number; readGBps?: number | undefined; fp32Gflops: number; f16Gflops?: number | undefined; f16MatrixGflops?: number | undefined }

export function rooflineRows(device: RooflineDevice, intensities: number[]): { x: number; y: number; series: string }[] {
  const lines = [
    { label: 'fp32', peak: device.fp32Gflops },
    ...(device.f16Gflops ? [{ label: 'f16', peak: device.f16Gflops }] : []),
    ...(device.f16MatrixGflops ? [{ label: 'f16 matrix', peak: device.f16MatrixGflops }] : []),
  ];
  return lines.flatMap(({ label, peak }) => intensities.map((x) => ({ x, y: Math.min(peak, x * memoryGBps(device)), series: `${device.name} ${label}` })));
}

export function renderRoofline(
  Plot: PlotModule,
  devices: RooflineDevice[],
  points: { name: string; records: RunRecord[] }[] = [],
): SVGSVGElement | HTMLElement {
  const intensities = Array.from({ length: 81 }, (_, i) => 2 ** (-6 + i * 0.25));
  const lines = devices.flatMap((d) => rooflineRows(d, intensities));
  const dots = points.flatMap(({ name, records }) =>
    records.filter((r) => r.bytes > 0 && r.flops > 0).map((r) => ({ x: r.flops / r.bytes, y: r.achieved.gflops, series: `${name}: ${r.variant}` })),
  );
  return tidyAria(Plot.plot({
    title: 'Roofline: attainable GFLOP/s against arithmetic intensity',
    ariaLabel: 'Roofline plot',
    width: 720,
    height: 380,
    marginLeft: 70,
    grid: true,
    x: { type: 'log', label: 'Arithmetic intensity (FLOP/byte)' },
    y: { type: 'log', label: 'GFLOP/s' },
    color: { legend: true },
    marks: [Plot.line(lines, { x: 'x', y: 'y', stroke: 'series' }), Plot.dot(dots, { x: 'x', y: 'y', stroke: 'series', r: 3 })],
  }));
}
