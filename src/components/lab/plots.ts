// Draws a lab's PlotSpecs with Observable Plot: the reader's series in colour with each record's bound (dashed),
// the reference GPUs in faint grey (one dash pattern per device, named in the caption and in each line's tooltip,
// not in the legend), and fixed guides such as an ideal curve or a paper's reported points.
import type { PlotSpec } from '../../labs/types';
import type { RunRecord } from '../../schemas/results';
import { formatSeconds } from '../../labs/format';
import { memoryGBps } from '../../models/bound';

type PlotModule = typeof import('@observablehq/plot');

/**
 * Plot names each mark's group with aria-label but gives it no role, which ARIA forbids; the figure keeps its
 * own label, and the groups lose theirs.
 */
export function tidyAria<T extends Element>(figure: T): T {
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

/** Dash patterns of the reference GPUs' lines, one per device. */
const REFERENCE_DASHES = ['1 0', '4 3', '1 3', '8 3 2 3'];
const DASH_NAMES = ['solid', 'dashed', 'dotted', 'dash-dot'];

/** The width to draw a plot at in `box`: its own width, so text keeps its size on a phone, within 280 to 960 px. */
export const plotWidthOf = (box: HTMLElement) => Math.max(280, Math.min(960, box.clientWidth || 720));

/**
 * A tick label in plain numbers: `0.1`, `250`, `1.5k`; seconds as `20 µs`. Plot's default on a log axis is SI
 * (`100m` for 0.1), which reads as metres.
 */
export function tickFormat(label: string): (value: number) => string {
  if (/\(s\)|\bseconds\b/.test(label)) return (value) => formatSeconds(value);
  return (value) => (Math.abs(value) >= 1e4 ? `${Number((value / 1000).toPrecision(3))}k` : Number(value.toPrecision(3)).toString());
}

export function renderPlot(
  Plot: PlotModule,
  spec: PlotSpec,
  records: RunRecord[],
  reference: { device: string; records: RunRecord[] }[],
  width = 720,
  document?: Document,
): SVGSVGElement | HTMLElement {
  const measured = rows(records, spec, spec.y.field);
  const bounds = spec.bound ? rows(records, spec, spec.bound).map((r) => ({ ...r, series: `${r.series} (bound)` })) : [];
  const byDevice = reference
    .map((ref) => ({
      device: ref.device,
      rows: rows(ref.records, spec, spec.y.field, `${ref.device}: `),
      bounds: spec.bound ? rows(ref.records, spec, spec.bound, `${ref.device} bound: `) : [],
    }))
    .filter((ref) => ref.rows.length > 0);
  const referenced = byDevice.flatMap((ref) => ref.rows);
  const xs = [...measured, ...referenced].map((r) => r.x);
  const [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  const guides = (spec.guides ?? []).flatMap((guide) => {
    const curve = guide.fn && xs.length > 0
      ? Array.from({ length: 64 }, (_, i) => xMin + ((xMax - xMin) * i) / 63).map((x) => ({ x, y: guide.fn!(x), series: guide.label }))
      : [];
    return [
      Plot.line(curve.filter((p) => Number.isFinite(p.y)), { x: 'x', y: 'y', stroke: 'series', strokeDasharray: '2 4' }),
      Plot.dot(guide.points ?? [], { x: 'x', y: 'y', symbol: 'diamond', r: 5, stroke: () => guide.label, fill: 'currentColor' }),
      // Labels of neighbouring points alternate above and below, so they never overlap.
      Plot.text((guide.points ?? []).filter((_, i) => i % 2 === 0), { x: 'x', y: 'y', text: 'label', dy: -12, fontSize: 12 }),
      Plot.text((guide.points ?? []).filter((_, i) => i % 2 === 1), { x: 'x', y: 'y', text: 'label', dy: 16, fontSize: 12 }),
    ];
  });
  return tidyAria(Plot.plot({
    ...(document && { document }),
    title: spec.title,
    ariaLabel: spec.title,
    caption: byDevice.length
      ? `Grey: ${byDevice.map((ref, i) => `${ref.device}${byDevice.length > 1 ? ` (${DASH_NAMES[i % DASH_NAMES.length]})` : ''}`).join(', ')}, for reference.`
      : undefined,
    width,
    height: Math.round(Math.min(340, Math.max(240, width * 0.6))),
    marginLeft: 64,
    grid: true,
    style: { fontSize: '12px' },
    x: { label: spec.x.label, type: spec.x.log ? 'log' : 'linear', tickFormat: tickFormat(spec.x.label) },
    y: { label: spec.y.label, type: spec.y.log ? 'log' : 'linear', nice: true, tickFormat: tickFormat(spec.y.label) },
    // The legend lists the reader's series and the guides only; with none yet, there is none.
    color: { type: 'categorical', legend: measured.length > 0 || (spec.guides ?? []).length > 0 },
    marks: [
      ...byDevice.flatMap((ref, i) => [
        Plot.line(ref.rows, { x: 'x', y: 'y', z: 'series', stroke: 'var(--muted)', strokeOpacity: 0.6, strokeDasharray: REFERENCE_DASHES[i % REFERENCE_DASHES.length], title: 'series' }),
        // Each reference series' bound, fainter still.
        Plot.line(ref.bounds, { x: 'x', y: 'y', z: 'series', stroke: 'var(--muted)', strokeOpacity: 0.3, strokeDasharray: '2 3', title: 'series' }),
      ]),
      Plot.line(bounds, { x: 'x', y: 'y', stroke: 'series', strokeDasharray: '6 4', strokeOpacity: 0.7 }),
      Plot.line(measured, { x: 'x', y: 'y', stroke: 'series', marker: 'circle', title: 'series' }),
      ...guides,
    ],
  }));
}

/**
 * A device's roofline: attainable GFLOP/s = min(peak, intensity × the faster of copy and read bandwidth), on log-log
 * axes. `yours` marks the reader's own device.
 */
export interface RooflineDevice {
  name: string;
  yours?: boolean;
  copyGBps: number;
  readGBps?: number | undefined;
  fp32Gflops: number;
  f16Gflops?: number | undefined;
  f16MatrixGflops?: number | undefined;
}

/** One line per ceiling the device has: `precision` names the unit, `series` the device and the unit. */
export function rooflineRows(device: RooflineDevice, intensities: number[]): { x: number; y: number; precision: string; series: string }[] {
  const lines = [
    { label: 'fp32', peak: device.fp32Gflops },
    ...(device.f16Gflops ? [{ label: 'f16', peak: device.f16Gflops }] : []),
    ...(device.f16MatrixGflops ? [{ label: 'f16 matrix', peak: device.f16MatrixGflops }] : []),
  ];
  return lines.flatMap(({ label, peak }) =>
    intensities.map((x) => ({ x, y: Math.min(peak, x * memoryGBps(device)), precision: label, series: `${device.name} ${label}` })),
  );
}

/**
 * The roofline in the lab plots' terms: colour is the unit (fp32, f16, the matrix units) on every device; the
 * reader's device is drawn solid, each reference GPU fainter with its own dash pattern, named in the caption.
 */
export function renderRoofline(
  Plot: PlotModule,
  devices: RooflineDevice[],
  points: { name: string; records: RunRecord[] }[] = [],
  width = 720,
  document?: Document,
): SVGSVGElement | HTMLElement {
  const intensities = Array.from({ length: 81 }, (_, i) => 2 ** (-6 + i * 0.25));
  const references = devices.filter((d) => !d.yours);
  const dashOf = (device: RooflineDevice) => (device.yours ? 0 : 1 + references.indexOf(device)) % REFERENCE_DASHES.length;
  const dots = points.flatMap(({ name, records }) =>
    records.filter((r) => r.bytes > 0 && r.flops > 0).map((r) => ({ x: r.flops / r.bytes, y: r.achieved.gflops, series: `${name}: ${r.variant}` })),
  );
  const named = devices.map((d) => `${d.name} (${DASH_NAMES[dashOf(d)]})`);
  return tidyAria(Plot.plot({
    ...(document && { document }),
    title: 'Roofline: attainable GFLOP/s against arithmetic intensity',
    ariaLabel: 'Roofline plot',
    caption: `Colour: the unit. Lines: ${named.join(', ')}.`,
    width,
    height: Math.round(Math.min(380, Math.max(260, width * 0.6))),
    marginLeft: 64,
    style: { fontSize: '12px' },
    grid: true,
    x: { type: 'log', label: 'Arithmetic intensity (FLOP/byte)', tickFormat: tickFormat('') },
    y: { type: 'log', label: 'GFLOP/s', tickFormat: tickFormat('') },
    // The units in the order of their ceilings, then the points' series.
    color: { legend: true, domain: [...new Set([...devices.flatMap((d) => rooflineRows(d, [1]).map((row) => row.precision)), ...dots.map((dot) => dot.series)])] },
    marks: [
      ...devices.map((device) =>
        Plot.line(rooflineRows(device, intensities), {
          x: 'x',
          y: 'y',
          z: 'series',
          stroke: 'precision',
          strokeOpacity: device.yours ? 1 : 0.55,
          strokeDasharray: REFERENCE_DASHES[dashOf(device)],
          title: 'series',
        }),
      ),
      Plot.dot(dots, { x: 'x', y: 'y', stroke: 'series', r: 3 }),
    ],
  }));
}
