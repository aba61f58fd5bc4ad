// Draws a lab's PlotSpecs with Observable Plot. Colour is the variant, the same on every plot of a lab and on its
// roofline: its measured line solid, its bound dashed in the same colour. A second swept parameter (LoRA's rank) is
// drawn as panels, one a value, not as more colours. The reference GPUs are grey, one dash pattern a device, each
// line labelled with its device where it ends. Each axis shows its values in the multiple of its unit that their
// magnitude calls for (µs or ms, MB or GB), named in its title, and the margins are sized from the tick labels, so
// that nothing is cut at a phone's width.
import type { AxisUnit, PlotAxis, PlotSpec } from '../../labs/types';
import type { RunRecord } from '../../schemas/results';
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

/** The font size of a plot's text, its axis ticks' length and their gap to the labels, in px. */
const FONT_SIZE = 12;
const TICK_SIZE = 6;
const TICK_PADDING = 3;
/** The direct labels of lines and ceilings are a little smaller than the axes'. */
const LABEL_SIZE = 11;

/**
 * Advance widths in em of DejaVu Sans (what system-ui is on Linux, and the widest of the common system fonts), for
 * the characters whose width is far from a digit's; any other lower-case letter or digit counts 0.64 em and a
 * capital 0.8 em.
 */
const EM_WIDTHS: Record<string, number> = {
  '.': 0.32, ',': 0.32, ' ': 0.32, ':': 0.34, ';': 0.34, '/': 0.34, '(': 0.39, ')': 0.39, '-': 0.37, "'": 0.28,
  i: 0.28, j: 0.28, l: 0.28, f: 0.36, t: 0.4, r: 0.42, m: 0.98, w: 0.82, M: 0.87, W: 1,
  '−': 0.84, '×': 0.84, '=': 0.84, '↑': 0.84, '→': 0.84, '⁻': 0.53,
  '⁰': 0.41, '¹': 0.41, '²': 0.41, '³': 0.41, '⁴': 0.41, '⁵': 0.41, '⁶': 0.41, '⁷': 0.41, '⁸': 0.41, '⁹': 0.41,
};

/** A text's width in px: an estimate on the safe side, the same in every browser and in the tests. */
export function textWidth(text: string, fontSize = FONT_SIZE): number {
  let ems = 0;
  for (const char of text) ems += EM_WIDTHS[char] ?? (/[A-Z]/.test(char) ? 0.8 : 0.64);
  return ems * fontSize;
}

const SUPERSCRIPTS = '⁰¹²³⁴⁵⁶⁷⁸⁹';

/**
 * A tick label in plain numbers, three significant digits at most: `0.25`, `250`, `2500`, `25k`, `2×10⁻⁵`. The unit
 * is in the axis title. Plot's default on a log axis is SI (`100m` for 0.1), which reads as metres.
 */
export function formatTick(value: number): string {
  if (value === 0) return '0';
  const sign = value < 0 ? '−' : '';
  const size = Math.abs(value);
  if (size < 1e-3) {
    let exponent = Math.floor(Math.log10(size) + 1e-9);
    let mantissa = Number((size / 10 ** exponent).toPrecision(2));
    if (mantissa >= 10) [mantissa, exponent] = [mantissa / 10, exponent + 1];
    const power = `10${[...String(exponent)].map((char) => (char === '-' ? '⁻' : SUPERSCRIPTS[Number(char)])).join('')}`;
    return `${sign}${mantissa === 1 ? '' : `${mantissa}×`}${power}`;
  }
  for (const [suffix, multiple] of [['G', 1e9], ['M', 1e6], ['k', 1e3]] as const) {
    if (size >= 10 * multiple) return `${sign}${Number((size / multiple).toPrecision(3))}${suffix}`;
  }
  return `${sign}${Number(size.toPrecision(3))}`;
}

/** Each unit's multiples, smallest first, with their size in the unit. */
const MULTIPLES: Record<AxisUnit, [name: string, size: number][]> = {
  seconds: [['ns', 1e-9], ['µs', 1e-6], ['ms', 1e-3], ['s', 1]],
  bytes: [['bytes', 1], ['kB', 1e3], ['MB', 1e6], ['GB', 1e9], ['TB', 1e12]],
  KiB: [['KiB', 1], ['MiB', 1024], ['GiB', 1024 ** 2]],
  'GFLOP/s': [['MFLOP/s', 1e-3], ['GFLOP/s', 1], ['TFLOP/s', 1e3]],
  'GB/s': [['MB/s', 1e-3], ['GB/s', 1], ['TB/s', 1e3]],
};

/** The multiple of `unit` an axis whose largest value is `largest` is drawn in: the largest one that value reaches. */
export function multipleOf(unit: AxisUnit, largest: number): { name: string; size: number } {
  const multiples = MULTIPLES[unit];
  const [name, size] = [...multiples].reverse().find(([, size]) => largest >= size) ?? multiples[0]!;
  return { name, size };
}

/** An axis's scale, in the multiple it is drawn in: its domain and its ticks. */
export interface Scale {
  log: boolean;
  domain: [number, number];
  ticks: number[];
}

const round = (value: number) => Number(value.toPrecision(12));

/** The step of about `count` ticks over `span`: 1, 2 or 5 times a power of ten. */
function tickStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const ratio = raw / power;
  return power * (ratio >= 7.07 ? 10 : ratio >= 3.16 ? 5 : ratio >= 1.41 ? 2 : 1);
}

/**
 * A scale over [min, max] with at most about `count` ticks, its domain widened to the ticks around the data: on a
 * log axis to whole powers of ten where the data spans two or more, else to 1, 2 and 5 times one.
 */
export function scaleOf(min: number, max: number, log: boolean, count: number): Scale {
  if (min === max) [min, max] = log ? [min / 2, max * 2] : min === 0 ? [-1, 1] : [min - Math.abs(min) / 2, max + Math.abs(max) / 2];
  if (!log) {
    const step = tickStep(max - min, count);
    const [first, last] = [Math.floor(min / step + 1e-9), Math.ceil(max / step - 1e-9)];
    const ticks = Array.from({ length: last - first + 1 }, (_, i) => round((first + i) * step));
    return { log, domain: [ticks[0]!, ticks.at(-1)!], ticks };
  }
  const [low, high] = [Math.log10(min), Math.log10(max)];
  if (high - low >= 2) {
    const [first, last] = [Math.floor(low + 1e-9), Math.ceil(high - 1e-9)];
    const stride = Math.ceil((last - first + 1) / count);
    const ticks = Array.from({ length: last - first + 1 }, (_, i) => first + i).filter((power) => (last - power) % stride === 0).map((power) => round(10 ** power));
    return { log, domain: [round(10 ** first), round(10 ** last)], ticks };
  }
  const candidates = Array.from({ length: Math.ceil(high) - Math.floor(low) + 2 }, (_, i) => Math.floor(low) - 1 + i).flatMap((power) =>
    [1, 2, 5].map((mantissa) => ({ mantissa, value: round(mantissa * 10 ** power) })),
  );
  const from = candidates.findLast((c) => c.value <= min * (1 + 1e-9))!.value;
  const to = candidates.find((c) => c.value >= max * (1 - 1e-9))!.value;
  const inside = candidates.filter((c) => c.value >= from && c.value <= to);
  // Too many for the room: the twos go first, then the fives.
  const ticks = [inside, inside.filter((c) => c.mantissa !== 2), inside.filter((c) => c.mantissa === 1)].find((t, i, all) => t.length <= count || i === all.length - 1)!;
  return { log, domain: [from, to], ticks: ticks.map((c) => c.value) };
}

/** Where `value` falls along a scale of `length` px, from its domain's start. */
function position(scale: Scale, value: number, length: number): number {
  const [a, b] = scale.log ? scale.domain.map(Math.log10) as [number, number] : scale.domain;
  return ((scale.log ? Math.log10(value) : value) - a) / (b - a) * length;
}

/**
 * The scale with the most ticks (up to ten) whose labels keep `gap` px or more clear of each other along `length` px:
 * `extent` is a label's size along the axis.
 */
function fittedScale(min: number, max: number, log: boolean, length: number, extent: (label: string) => number, gap: number): Scale {
  let scale = scaleOf(min, max, log, 2);
  for (let count = 10; count > 2; count--) {
    const candidate = scaleOf(min, max, log, count);
    const at = candidate.ticks.map((tick) => position(candidate, tick, length));
    const sizes = candidate.ticks.map((tick) => extent(formatTick(tick)));
    if (at.every((p, i) => i === 0 || p - at[i - 1]! >= (sizes[i]! + sizes[i - 1]!) / 2 + gap)) {
      scale = candidate;
      break;
    }
  }
  return scale;
}

/** An axis's title with the multiple it is drawn in: `Time (ms)`. */
const titleOf = (axis: PlotAxis, multiple?: { name: string }) => (multiple ? `${axis.label} (${multiple.name})` : axis.label);

/** The width to draw a plot at in `box`: its own width, so text keeps its size on a phone, within 280 to 960 px. */
export const plotWidthOf = (box: HTMLElement) => Math.max(280, Math.min(960, box.clientWidth || 720));

/** Observable's categorical colours (Plot's default) without its grey, which marks the reference GPUs. */
const PALETTE = ['#4269d0', '#efb118', '#ff725c', '#6cc5b0', '#3ca951', '#ff8ab7', '#a463f2', '#97bbf5', '#9c6b4e'];

/**
 * Each series' colour: the nth variant of the records (in the order they first appear, so the same on every plot of
 * a run and on its roofline) takes the nth colour; guides take theirs from the other end of the palette.
 */
function colours(records: RunRecord[], seriesField: string, names: Record<string, string> | undefined, guides: string[]) {
  const order = [...new Set(records.map((r) => String(field(r, seriesField))))];
  const colour = new Map<string, string>(order.map((name, i) => [names?.[name] ?? name, PALETTE[i % PALETTE.length]!]));
  guides.forEach((label, i) => colour.set(label, PALETTE[PALETTE.length - 1 - (i % PALETTE.length)]!));
  return colour;
}

/** A series' colour: its own, or its variant's where its name adds a parameter (`MHA batch=8`). */
const colourOf = (colour: Map<string, string>, name: string) =>
  colour.get(name) ?? [...colour].filter(([key]) => name.startsWith(`${key} `)).sort((a, b) => b[0].length - a[0].length)[0]?.[1] ?? PALETTE[0]!;

/** Dash patterns of the reference GPUs' lines, one per device (dashes mark bounds), and their names for a caption. */
const REFERENCE_DASHES = ['none', '1 3', '8 3 2 3'];
const REFERENCE_DASH_NAMES = ['solid', 'dotted', 'dash-dot'];
/** A bound's dash pattern, on every plot. */
const BOUND_DASH = '6 4';

/** A device's short name for a label on a line: `H100` for `NVIDIA H100 80GB HBM3`. */
export function shortName(device: string): string {
  const words = device.split(' ');
  const model = words.findIndex((word) => /\d/.test(word));
  if (model < 0) return device;
  const start = model > 0 && /^[A-Z]{3,}$/.test(words[0]!) ? 1 : 0;
  return words.slice(start, model + 1).join(' ');
}

/** A short horizontal stroke: a bound where its series has one point, so a line would not show. */
const BOUND_TICK = {
  draw(context: CanvasPath, size: number) {
    const half = Math.sqrt(size);
    context.moveTo(-half, 0);
    context.lineTo(half, 0);
  },
};

/** One point of a line: `facet` is its panel's value where the plot has panels. */
interface Row { x: number; y: number; series: string; facet?: number | string; tip: string }

const xKeyOf = (spec: PlotSpec) => (spec.x.field.startsWith('params.') ? spec.x.field.slice('params.'.length) : undefined);
const facetKeyOf = (spec: PlotSpec) => (spec.facet?.field.startsWith('params.') ? spec.facet.field.slice('params.'.length) : undefined);

/**
 * Each record's series: its `series` field (under the plot's name for it, if any), plus any parameter other than
 * the x axis's and the panels' that takes several values within that series, so that runs at different sizes or
 * types are separate lines, not one zigzag.
 */
export function seriesNames(records: RunRecord[], spec: PlotSpec): string[] {
  const seriesField = spec.series ?? 'variant';
  const drawn = new Set([xKeyOf(spec), facetKeyOf(spec)]);
  const base = records.map((r) => String(field(r, seriesField)));
  const varying = new Map<string, string[]>();
  for (const name of new Set(base)) {
    const members = records.filter((_, i) => base[i] === name);
    const keys = [...new Set(members.flatMap((r) => Object.keys(r.params)))].filter(
      (key) => !drawn.has(key) && new Set(members.map((r) => String(r.params[key]))).size > 1,
    );
    varying.set(name, keys);
  }
  return records.map((r, i) => [spec.names?.[base[i]!] ?? base[i]!, ...varying.get(base[i]!)!.map((key) => `${key}=${String(r.params[key])}`)].join(' '));
}

/** The records a plot draws: those of its variants, if it names any. */
export function plotted(records: RunRecord[], spec: PlotSpec): RunRecord[] {
  return spec.variants ? records.filter((r) => spec.variants!.includes(r.variant)) : records;
}

/**
 * The records of a reference GPU a plot draws: for each variant, those at one setting of the parameters other than
 * the x axis's and the panels', so that a device draws one line a variant: the setting the reader ran, where the
 * reference has it, else the one with the most records (the first, in a tie).
 */
export function referenceRecords(records: RunRecord[], spec: PlotSpec, reader: RunRecord[]): RunRecord[] {
  const drawn = new Set([xKeyOf(spec), facetKeyOf(spec)]);
  const settingOf = (r: RunRecord) => JSON.stringify(Object.entries(r.params).filter(([key]) => !drawn.has(key)).sort());
  const sameAs = (a: RunRecord, b: RunRecord) =>
    Object.keys(a.params).every((key) => drawn.has(key) || !(key in b.params) || String(a.params[key]) === String(b.params[key]));
  const shown = plotted(records, spec);
  const mine = plotted(reader, spec);
  return [...new Set(shown.map((r) => r.variant))].flatMap((variant) => {
    const settings = new Map<string, RunRecord[]>();
    for (const r of shown.filter((r) => r.variant === variant)) settings.set(settingOf(r), [...(settings.get(settingOf(r)) ?? []), r]);
    const groups = [...settings.values()];
    const theirs = mine.filter((r) => r.variant === variant);
    return groups.find((group) => theirs.some((r) => sameAs(group[0]!, r))) ?? groups.reduce((most, group) => (group.length > most.length ? group : most));
  });
}

/** The points of one y field of some records (non-positive values left out on a log axis). */
function rows(records: RunRecord[], spec: PlotSpec, yField: string, tipPrefix = ''): Row[] {
  const names = seriesNames(records, spec);
  return records
    .map((r, i) => {
      const facet = spec.facet && field(r, spec.facet.field);
      return {
        x: Number(field(r, spec.x.field)),
        y: Number(field(r, yField)),
        series: names[i]!,
        ...(facet !== undefined && { facet: facet as number | string }),
        tip: `${tipPrefix}${names[i]!}`,
      };
    })
    .filter((row) => Number.isFinite(row.x) && Number.isFinite(row.y) && (!spec.y.log || row.y > 0) && (!spec.x.log || row.x > 0));
}

/** The rows of series (within a panel) that have a single point: a line through them would not show. */
function singles(data: Row[]): Row[] {
  const key = (row: Row) => `${String(row.facet)}\u0000${row.series}`;
  const counts = new Map<string, number>();
  for (const row of data) counts.set(key(row), (counts.get(key(row)) ?? 0) + 1);
  return data.filter((row) => counts.get(key(row)) === 1);
}

/** Whether every series' bound is the same line (the fewest bytes any kernel must move), so it is drawn once. */
function sharedBound(bounds: Row[]): boolean {
  if (new Set(bounds.map((row) => row.series)).size < 2) return false;
  const at = new Map<string, number>();
  return bounds.every((row) => {
    const key = `${String(row.facet)}\u0000${row.x}`;
    const seen = at.get(key);
    if (seen === undefined) at.set(key, row.y);
    return seen === undefined || Math.abs(seen - row.y) <= 1e-9 * Math.abs(seen);
  });
}

/** The caption's sentence on the reader's bounds: dashed lines, or short strokes where a series has a single point. */
function boundNote(bounds: Row[], shared: boolean, coloured: boolean): string {
  const single = singles(bounds).length;
  const drawn = single === bounds.length ? 'A short stroke' : 'Dashed';
  const where = single > 0 && single < bounds.length ? ' (a short stroke where a line has one point)' : '';
  if (shared) return `${drawn}: the bound, the same for every line${where}.`;
  return coloured ? `${drawn}, in each line's colour: its bound${where}.` : `${drawn}: the bound${where}.`;
}

/** A label placed on the plot: its anchor in data terms, and which way it reads from there. */
interface Placed { x: number; y: number; facet?: number | string; text: string; textAnchor: 'start' | 'end'; dy: number }
/** A label to place: where it may go, in order of preference, with each place's position in px. */
interface Wanted { text: string; facet?: number | string; at: { x: number; y: number; px: number; py: number }[]; belowLast?: boolean }

/**
 * Places labels greedily, each at its first place where it stays inside the frame (`width` × `height` px) and clear
 * of those placed before: above its point and ending there, else below, else above and starting there; with
 * `belowLast`, every place above first. One with no such place is left out (its line keeps its tooltip).
 */
function placeLabels(wanted: Wanted[], width: number, height: number): Placed[] {
  const boxes: { facet?: number | string; left: number; right: number; top: number; bottom: number }[] = [];
  const placed: Placed[] = [];
  const lineHeight = LABEL_SIZE + 2;
  for (const label of wanted) {
    const w = textWidth(label.text, LABEL_SIZE);
    const above = label.at.flatMap((at) => [
      { ...at, textAnchor: 'end' as const, left: at.px - w, dy: -4, top: at.py - 4 - lineHeight },
      { ...at, textAnchor: 'start' as const, left: at.px, dy: -4, top: at.py - 4 - lineHeight },
    ]);
    const below = label.at.map((at) => ({ ...at, textAnchor: 'end' as const, left: at.px - w, dy: 4 + lineHeight, top: at.py + 4 }));
    const options = label.belowLast ? [...above, ...below] : label.at.flatMap((_, i) => [above[2 * i]!, below[i]!, above[2 * i + 1]!]);
    const fit = options.find((o) => {
      const box = { left: o.left, right: o.left + w, top: o.top, bottom: o.top + lineHeight };
      const inside = box.left >= 0 && box.right <= width && box.top >= 0 && box.bottom <= height;
      return inside && !boxes.some((b) => b.facet === label.facet && b.left < box.right && box.left < b.right && b.top < box.bottom && box.top < b.bottom);
    });
    if (!fit) continue;
    boxes.push({ facet: label.facet, left: fit.left, right: fit.left + w, top: fit.top, bottom: fit.top + lineHeight });
    placed.push({ x: fit.x, y: fit.y, ...(label.facet !== undefined && { facet: label.facet }), text: label.text, textAnchor: fit.textAnchor, dy: fit.dy });
  }
  return placed;
}

/** Placed labels as text marks: one a side and offset, which Plot takes as options, not channels. */
function labelMarks(Plot: PlotModule, labels: Placed[], options: Record<string, string>) {
  const groups = new Map<string, Placed[]>();
  for (const label of labels) groups.set(`${label.textAnchor} ${label.dy}`, [...(groups.get(`${label.textAnchor} ${label.dy}`) ?? []), label]);
  return [...groups.values()].map((group) =>
    Plot.text(group, { x: 'x', y: 'y', text: 'text', textAnchor: group[0]!.textAnchor, dy: group[0]!.dy, lineAnchor: 'bottom', fontSize: LABEL_SIZE, ...options }),
  );
}

/** Space above the frame for the y axis's title, and below it for the x axis's tick labels and title. */
const MARGIN_TOP = 30;
const MARGIN_BOTTOM = TICK_SIZE + TICK_PADDING + FONT_SIZE + 6 + FONT_SIZE + 6;

/** The left margin that holds a y axis's tick labels, right-aligned against its ticks, with a few px to spare. */
export const marginLeftFor = (labels: string[]) => Math.ceil(Math.max(24, ...labels.map((label) => textWidth(label))) + TICK_SIZE + TICK_PADDING + 4);
/** The right margin that holds half the last x tick label, centred on the frame's edge. */
const marginRightFor = (labels: string[]) => Math.ceil(Math.max(16, textWidth(labels.at(-1) ?? '') / 2 + 4));

/** A plot's geometry: its scales in the multiples it is drawn in, its margins and its panels. */
export interface PlotLayout {
  width: number;
  height: number;
  margin: { top: number; right: number; bottom: number; left: number };
  /** The height of one panel, in px. */
  panel: number;
  x: Scale & { title: string; size: number };
  y: Scale & { title: string; size: number };
}

/** A figure's size, margins, text size and both axes from its layout: the same for the lab plots and the roofline. */
function frameOf(layout: ReturnType<typeof layoutOf>, width: number) {
  const axis = (scale: ReturnType<typeof layoutOf>['x']) => ({
    label: scale.title,
    type: scale.log ? 'log' : 'linear',
    domain: scale.domain,
    ticks: scale.ticks,
    tickFormat: formatTick,
    tickSize: TICK_SIZE,
    tickPadding: TICK_PADDING,
    grid: true,
  } as const);
  return {
    width,
    height: layout.height,
    marginTop: layout.margin.top,
    marginRight: layout.margin.right,
    marginBottom: layout.margin.bottom,
    marginLeft: layout.margin.left,
    style: { fontSize: `${FONT_SIZE}px` },
    x: axis(layout.x),
    y: axis(layout.y),
  };
}

/**
 * A plot's geometry from every value it draws (in its fields' units) and its panels: the multiple each axis is drawn
 * in, its scale, and margins that hold its tick labels.
 */
export function layoutOf(
  spec: PlotSpec,
  values: { x: number[]; y: number[] },
  facets: (number | string)[],
  width: number,
  height = Math.round(Math.min(340, Math.max(240, width * 0.6))),
): PlotLayout {
  // A plot with nothing to draw yet still has axes.
  if (values.x.length === 0) values = { x: spec.x.log ? [1, 10] : [0, 1], y: values.y };
  if (values.y.length === 0) values = { x: values.x, y: spec.y.log ? [1, 10] : [0, 1] };
  const xMultiple = spec.x.unit && multipleOf(spec.x.unit, Math.max(...values.x.map(Math.abs)));
  const yMultiple = spec.y.unit && multipleOf(spec.y.unit, Math.max(...values.y.map(Math.abs)));
  const [xSize, ySize] = [xMultiple?.size ?? 1, yMultiple?.size ?? 1];
  const xs = values.x.map((x) => x / xSize);
  const ys = values.y.map((y) => y / ySize);
  const panels = Math.max(1, facets.length);
  const gap = panels > 1 ? 16 : 0;
  const panel = panels > 1
    ? Math.round(Math.min(220, Math.max(150, width * 0.4)))
    : height - MARGIN_TOP - MARGIN_BOTTOM;
  // Y ticks a line and a bit apart, x ticks a wide space apart: enough to read, few enough to scan.
  const y = fittedScale(Math.min(...ys), Math.max(...ys), !!spec.y.log, panel, () => FONT_SIZE, 14);
  const left = marginLeftFor(y.ticks.map(formatTick));
  let right = 16;
  let x = fittedScale(Math.min(...xs), Math.max(...xs), !!spec.x.log, width - left - right, (label) => textWidth(label), 12);
  right = marginRightFor(x.ticks.map(formatTick));
  x = fittedScale(Math.min(...xs), Math.max(...xs), !!spec.x.log, width - left - right, (label) => textWidth(label), 12);
  return {
    width,
    height: MARGIN_TOP + MARGIN_BOTTOM + panels * panel + (panels - 1) * gap,
    margin: { top: MARGIN_TOP, right, bottom: MARGIN_BOTTOM, left },
    panel,
    x: { ...x, title: titleOf(spec.x, xMultiple), size: xSize },
    y: { ...y, title: titleOf(spec.y, yMultiple), size: ySize },
  };
}

export function renderPlot(
  Plot: PlotModule,
  spec: PlotSpec,
  records: RunRecord[],
  reference: { device: string; records: RunRecord[] }[],
  width = 720,
  document?: Document,
): SVGSVGElement | HTMLElement {
  const shown = plotted(records, spec);
  let measured = rows(shown, spec, spec.y.field);
  let bounds = spec.bound ? rows(shown, spec, spec.bound) : [];
  // Panels: the reader's values of the second parameter, else the reference GPUs'; their lines at other values go.
  const facetValues = (data: Row[]) => [...new Set(data.flatMap((row) => (row.facet === undefined ? [] : [row.facet])))];
  let devices = reference.map((ref) => {
    const theirs = referenceRecords(ref.records, spec, records);
    return {
      device: ref.device,
      rows: rows(theirs, spec, spec.y.field, `${ref.device}: `),
      // A reference's bounds are drawn until the reader has lines of their own, whose bounds then take their place.
      bounds: spec.bound && measured.length === 0 ? rows(theirs, spec, spec.bound, `${ref.device}, bound: `) : [],
    };
  });
  const facets = (measured.length ? facetValues(measured) : facetValues(devices.flatMap((d) => d.rows))).sort((a, b) =>
    typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b)),
  );
  const inPanels = (data: Row[]) => (facets.length === 0 ? data : data.filter((row) => row.facet !== undefined && facets.includes(row.facet)));
  devices = devices.map((d) => ({ ...d, rows: inPanels(d.rows), bounds: inPanels(d.bounds) })).filter((d) => d.rows.length > 0);
  // One panel is no panel.
  const unpanel = (data: Row[]) => (facets.length > 1 ? data : data.map(({ facet: _, ...row }) => row));
  measured = unpanel(measured);
  bounds = unpanel(bounds);
  devices = devices.map((d) => ({ ...d, rows: unpanel(d.rows), bounds: unpanel(d.bounds) }));
  const panels = facets.length > 1 ? facets : [];

  // Guides: curves over the data's x range (evenly along a log axis on one), and points.
  const drawnX = [...measured, ...bounds, ...devices.flatMap((d) => [...d.rows, ...d.bounds])].map((row) => row.x);
  const [xMin, xMax] = [Math.min(...drawnX), Math.max(...drawnX)];
  const guides = (spec.guides ?? []).map((guide) => ({
    label: guide.label,
    curve: guide.fn && drawnX.length > 0
      ? Array.from({ length: 64 }, (_, i) => (spec.x.log ? xMin * (xMax / xMin) ** (i / 63) : xMin + ((xMax - xMin) * i) / 63))
          .map((x) => ({ x, y: guide.fn!(x), series: guide.label }))
          .filter((p) => Number.isFinite(p.y) && (!spec.y.log || p.y > 0))
      : [],
    points: (guide.points ?? []).map((p) => ({ ...p, series: guide.label })),
  }));
  const all = [...measured, ...bounds, ...devices.flatMap((d) => [...d.rows, ...d.bounds]), ...guides.flatMap((g) => [...g.curve, ...g.points])];
  const layout = layoutOf(spec, { x: all.map((p) => p.x), y: all.map((p) => p.y) }, panels, width);
  const scaled = <T extends { x: number; y: number }>(data: T[]) => data.map((p) => ({ ...p, x: p.x / layout.x.size, y: p.y / layout.y.size }));
  [measured, bounds] = [scaled(measured), scaled(bounds)];
  devices = devices.map((d) => ({ ...d, rows: scaled(d.rows), bounds: scaled(d.bounds) }));

  const colour = colours(records, spec.series ?? 'variant', spec.names, guides.map((g) => g.label));
  const legend = [...new Set([...measured.map((row) => row.series), ...guides.map((g) => g.label)])];
  const shared = sharedBound(bounds);
  const alone = new Set(singles(measured));
  const inner = { width: width - layout.margin.left - layout.margin.right, height: layout.panel };
  const fy: Record<string, string> = panels.length ? { fy: 'facet' } : {};

  // Each reference line's label by its last point, else by an earlier one.
  const labels = placeLabels(
    devices.flatMap(({ device, rows: theirs }) => {
      const lines = new Map<string, Row[]>();
      for (const row of theirs) {
        const key = `${String(row.facet)}\u0000${row.series}`;
        lines.set(key, [...(lines.get(key) ?? []), row]);
      }
      return [...lines.values()].map((line) => ({
        text: `${shortName(device)}: ${line[0]!.series}`,
        ...(line[0]!.facet !== undefined && { facet: line[0]!.facet }),
        at: [...line].sort((a, b) => b.x - a.x).map((row) => ({
          x: row.x,
          y: row.y,
          px: position(layout.x, row.x, inner.width),
          py: inner.height - position(layout.y, row.y, inner.height),
        })),
      }));
    }),
    inner.width,
    inner.height,
  );

  const notes = [
    ...(bounds.length ? [boundNote(bounds, shared, legend.length > 1)] : []),
    ...(devices.length
      ? [
          `Grey: ${devices.map((d, i) => `${d.device}${devices.length > 1 ? ` (${REFERENCE_DASH_NAMES[i % REFERENCE_DASH_NAMES.length]})` : ''}`).join(', ')}, for reference` +
            `${devices.some((d) => d.bounds.length) ? '; dashed, its bounds' : ''}.`,
        ]
      : []),
  ];
  return tidyAria(Plot.plot({
    ...(document && { document }),
    title: spec.title,
    ariaLabel: spec.title,
    ...(notes.length && { caption: notes.join(' ') }),
    ...frameOf(layout, width),
    ...(panels.length && { fy: { domain: panels, axis: null, label: null, paddingInner: 16 / (layout.panel + 16), paddingOuter: 0 } }),
    // The legend lists the reader's series and the guides, where there are two or more to tell apart.
    color: { type: 'categorical', domain: legend, range: legend.map((name) => colourOf(colour, name)), legend: legend.length > 1 },
    marks: [
      ...devices.flatMap((d, i) => {
        const dash = REFERENCE_DASHES[i % REFERENCE_DASHES.length]!;
        return [
          Plot.line(d.bounds, { x: 'x', y: 'y', z: 'series', ...fy, stroke: 'var(--muted)', strokeOpacity: 0.45, strokeDasharray: BOUND_DASH, title: 'tip' }),
          Plot.dot(singles(d.bounds), { x: 'x', y: 'y', ...fy, symbol: BOUND_TICK, r: 5, stroke: 'var(--muted)', strokeOpacity: 0.6, fill: 'none', title: 'tip' }),
          Plot.line(d.rows, { x: 'x', y: 'y', z: 'series', ...fy, stroke: 'var(--muted)', strokeOpacity: 0.75, strokeDasharray: dash, title: 'tip' }),
          Plot.dot(singles(d.rows), { x: 'x', y: 'y', ...fy, r: 2.5, fill: 'var(--muted)', title: 'tip' }),
        ];
      }),
      ...labelMarks(Plot, labels, { ...fy, fill: 'var(--muted)' }),
      ...guides.flatMap((guide) => [
        Plot.line(scaled(guide.curve), { x: 'x', y: 'y', z: 'series', stroke: 'series', strokeDasharray: '2 4' }),
        Plot.dot(scaled(guide.points), { x: 'x', y: 'y', symbol: 'diamond', r: 5, stroke: 'series', fill: 'currentColor' }),
        // Labels of neighbouring points alternate above and below, so they never overlap.
        Plot.text(scaled(guide.points).filter((_, i) => i % 2 === 0), { x: 'x', y: 'y', text: 'label', dy: -12, fontSize: LABEL_SIZE }),
        Plot.text(scaled(guide.points).filter((_, i) => i % 2 === 1), { x: 'x', y: 'y', text: 'label', dy: 16, fontSize: LABEL_SIZE }),
      ]),
      ...(shared
        ? [
            Plot.line(bounds.filter((row) => row.series === bounds[0]!.series), { x: 'x', y: 'y', ...fy, stroke: 'currentColor', strokeOpacity: 0.7, strokeDasharray: BOUND_DASH }),
            Plot.dot(singles(bounds).filter((row) => row.series === bounds[0]!.series), { x: 'x', y: 'y', ...fy, symbol: BOUND_TICK, r: 6, stroke: 'currentColor', fill: 'none', strokeWidth: 2 }),
          ]
        : [
            Plot.line(bounds, { x: 'x', y: 'y', z: 'series', ...fy, stroke: 'series', strokeDasharray: BOUND_DASH, strokeOpacity: 0.85, title: (row: Row) => `${row.series}, bound` }),
            Plot.dot(singles(bounds), { x: 'x', y: 'y', ...fy, symbol: BOUND_TICK, r: 6, stroke: 'series', fill: 'none', strokeWidth: 2, title: (row: Row) => `${row.series}, bound` }),
          ]),
      Plot.line(measured, { x: 'x', y: 'y', z: 'series', ...fy, stroke: 'series', strokeWidth: 1.5, title: 'tip' }),
      // A series of one point is that point alone: drawn larger.
      Plot.dot(measured.filter((row) => !alone.has(row)), { x: 'x', y: 'y', ...fy, r: 2.5, fill: 'series', title: 'tip' }),
      Plot.dot([...alone], { x: 'x', y: 'y', ...fy, r: 4, fill: 'series', title: 'tip' }),
      ...(panels.length
        ? [
            Plot.text(panels.map((facet) => ({ facet, text: `${spec.facet!.label} = ${String(facet)}` })), {
              fy: 'facet',
              text: 'text',
              frameAnchor: 'top-left',
              lineAnchor: 'top',
              dx: 4,
              dy: 3,
              fontWeight: 600,
              fill: 'currentColor',
              stroke: 'var(--bg)',
              strokeWidth: 3,
            }),
          ]
        : []),
    ],
  }));
}

/**
 * A device's roofline: attainable GFLOP/s = min(peak, intensity × the faster of copy and read bandwidth), on log-log
 * axes. `yours` marks the reader's own device. The matrix units have two ceilings where both were measured: with
 * operands in registers, and fed from workgroup memory (what a real kernel through WebGPU can reach).
 */
export interface RooflineDevice {
  name: string;
  yours?: boolean;
  copyGBps: number;
  readGBps?: number | undefined;
  fp32Gflops: number;
  f16Gflops?: number | undefined;
  f16MatrixGflops?: number | undefined;
  f16MatrixFedGflops?: number | undefined;
}

/** One line per ceiling the device has: `precision` names the unit, `series` the device and the unit. */
export function rooflineRows(device: RooflineDevice, intensities: number[]): { x: number; y: number; precision: string; series: string }[] {
  const lines = [
    { label: 'fp32', peak: device.fp32Gflops },
    ...(device.f16Gflops ? [{ label: 'f16', peak: device.f16Gflops }] : []),
    ...(device.f16MatrixGflops ? [{ label: 'f16 matrix', peak: device.f16MatrixGflops }] : []),
    ...(device.f16MatrixFedGflops ? [{ label: 'f16 matrix fed', peak: device.f16MatrixFedGflops }] : []),
  ];
  return lines.flatMap(({ label, peak }) =>
    intensities.map((x) => ({ x, y: Math.min(peak, x * memoryGBps(device)), precision: label, series: `${device.name} ${label}` })),
  );
}

/** Dash patterns of the roofline's devices, the reader's first, and the symbols of their points. */
const ROOFLINE_DASHES = ['none', '4 3', '1 3', '8 3 2 3'];
const ROOFLINE_DASH_NAMES = ['solid', 'dashed', 'dotted', 'dash-dot'];
const ROOFLINE_SYMBOLS = [
  { symbol: 'circle', glyph: '●' },
  { symbol: 'triangle', glyph: '△' },
  { symbol: 'square', glyph: '□' },
  { symbol: 'diamond', glyph: '◇' },
] as const;

/**
 * The roofline: each device's ceilings as lines (the reader's solid, each reference GPU grey with its own dash
 * pattern), each labelled with its unit where it flattens and its device along its slope; a lab's kernels as points,
 * coloured by variant as on the lab's plots, one symbol a device (filled for the reader's).
 */
export function renderRoofline(
  Plot: PlotModule,
  devices: RooflineDevice[],
  points: { name: string; records: RunRecord[] }[] = [],
  width = 720,
  document?: Document,
): SVGSVGElement | HTMLElement {
  const intensities = Array.from({ length: 81 }, (_, i) => 2 ** (-6 + i * 0.25));
  // The reader's device is solid and filled; every other, a device or a set of points, takes the next style.
  const yours = (name: string) => devices.find((d) => d.name === name)?.yours ?? name === 'yours';
  const others = [...new Set([...devices.map((d) => d.name), ...points.map((p) => p.name)])].filter((name) => !yours(name));
  const styleOf = (name: string) => (yours(name) ? 0 : 1 + others.indexOf(name));
  const lines = devices.map((device) => ({ device, rows: rooflineRows(device, intensities) }));
  const dots = points.flatMap(({ name, records }) =>
    records.filter((r) => r.bytes > 0 && r.flops > 0).map((r) => ({ x: r.flops / r.bytes, y: r.achieved.gflops, device: name, variant: r.variant, tip: `${name}: ${r.variant}` })),
  );
  const spec: PlotSpec = {
    id: 'roofline',
    title: 'Roofline',
    x: { field: 'intensity', label: 'Arithmetic intensity (FLOP/byte)', log: true },
    y: { field: 'rate', label: 'Attainable rate', log: true, unit: 'GFLOP/s' },
  };
  const all = [...lines.flatMap((l) => l.rows), ...dots];
  const layout = layoutOf(spec, { x: all.map((p) => p.x), y: all.map((p) => p.y) }, [], width, Math.round(Math.min(380, Math.max(260, width * 0.6))));
  const inner = { width: width - layout.margin.left - layout.margin.right, height: layout.panel };
  const shown = <T extends { x: number; y: number }>(p: T) => ({ ...p, y: p.y / layout.y.size });
  const at = (p: { x: number; y: number }) => {
    const q = shown(p);
    return { x: q.x, y: q.y, px: position(layout.x, q.x, inner.width), py: inner.height - position(layout.y, q.y, inner.height) };
  };

  // Each ceiling's unit where it is flat (at its right end, else further left), once for the devices whose ceilings
  // coincide (within 1%, as the H100's and H200's FMA rates do), then each device along its slope.
  const last = intensities.at(-1)!;
  const ceilings: { unit: string; peak: number; names: string[]; flat: typeof lines[number]['rows'] }[] = [];
  for (const { device, rows: theirs } of lines) {
    for (const unit of new Set(theirs.map((row) => row.precision))) {
      const ceiling = theirs.filter((row) => row.precision === unit);
      const peak = ceiling.find((row) => row.x === last)!.y;
      const name = device.yours ? 'yours' : shortName(device.name);
      const same = ceilings.find((c) => c.unit === unit && Math.abs(c.peak - peak) <= 0.01 * peak);
      if (same) same.names.push(name);
      else ceilings.push({ unit, peak, names: [name], flat: ceiling.filter((row) => row.y === peak) });
    }
  }
  const labels = placeLabels(
    [
      ...ceilings.map(({ unit, names, flat }) => ({
        text: `${names.join(', ')} ${unit}`,
        at: [flat.at(-1)!, flat[Math.floor(flat.length * 0.6)]!, flat[Math.floor(flat.length * 0.2)]!].map(at),
        belowLast: true,
      })),
      ...lines.map(({ device, rows: theirs }, i) => {
        const slope = theirs.filter((row) => row.precision === 'fp32' && row.y < device.fp32Gflops);
        const along = [0.3, 0.5, 0.1].map((f) => slope[Math.min(slope.length - 1, Math.floor((f + 0.2 * i) * slope.length))]).filter((row) => row !== undefined);
        return { text: device.yours ? 'yours' : shortName(device.name), at: along.map(at), belowLast: true };
      }),
    ],
    inner.width,
    inner.height,
  );
  // Colours in the order the variants first appear in the records, as on the lab's plots; the legend, those drawn.
  const order = [...new Set(points.flatMap((p) => p.records.map((r) => r.variant)))];
  const variants = [...new Set(dots.map((dot) => dot.variant))];
  const named = devices.map((d) => `${d.yours ? d.name : shortName(d.name)} ${ROOFLINE_DASH_NAMES[styleOf(d.name) % ROOFLINE_DASH_NAMES.length]}`);
  const marked = [...new Set(dots.map((dot) => dot.device))];
  const symbolOf = (name: string) => ROOFLINE_SYMBOLS[styleOf(name) % ROOFLINE_SYMBOLS.length]!;
  return tidyAria(Plot.plot({
    ...(document && { document }),
    title: 'Roofline: attainable FLOP/s against arithmetic intensity',
    ariaLabel: 'Roofline plot',
    caption:
      `Lines: each unit's ceiling; ${named.join(', ')}.` +
      (marked.length ? ` Points: the lab's kernels, coloured as on its plots; ${marked.map((name) => `${symbolOf(name).glyph} ${yours(name) ? name : shortName(name)}`).join(', ')}.` : ''),
    ...frameOf(layout, width),
    color: { type: 'categorical', domain: variants, range: variants.map((variant) => PALETTE[order.indexOf(variant) % PALETTE.length]!), legend: variants.length > 0 },
    marks: [
      ...lines.map(({ device, rows: theirs }) =>
        Plot.line(theirs.map(shown), {
          x: 'x',
          y: 'y',
          z: 'series',
          stroke: device.yours ? 'currentColor' : 'var(--muted)',
          strokeWidth: device.yours ? 1.5 : 1.2,
          strokeDasharray: ROOFLINE_DASHES[styleOf(device.name) % ROOFLINE_DASHES.length],
          title: 'series',
        }),
      ),
      ...labelMarks(Plot, labels, { fill: 'currentColor' }),
      ...marked.map((name) =>
        Plot.dot(dots.filter((dot) => dot.device === name).map(shown), {
          x: 'x',
          y: 'y',
          symbol: symbolOf(name).symbol,
          r: 3.5,
          stroke: 'variant',
          fill: yours(name) ? 'variant' : 'none',
          strokeOpacity: yours(name) ? 1 : 0.8,
          title: 'tip',
        }),
      ),
    ],
  }));
}

/** One sweep of a model's speed of light: its points, and the values of x where it changes character, labelled. */
export interface SweepPlot {
  title: string;
  x: PlotAxis;
  y: PlotAxis;
  points: { x: number; y: number }[];
  marks: { x: number; label: string }[];
}

/**
 * A model's speed of light against its batch or its context (src/models/scale.ts): the bound as a line with its
 * points, and a vertical rule with its label at each mark inside the range, on the lab plots' frame.
 */
export function renderSweep(Plot: PlotModule, sweep: SweepPlot, width = 720, document?: Document): SVGSVGElement | HTMLElement {
  const spec: PlotSpec = { id: 'sweep', title: sweep.title, x: sweep.x, y: sweep.y };
  const layout = layoutOf(spec, { x: sweep.points.map((p) => p.x), y: sweep.points.map((p) => p.y) }, [], width);
  const shown = sweep.points.map((p) => ({ x: p.x / layout.x.size, y: p.y / layout.y.size }));
  const [low, high] = [Math.min(...shown.map((p) => p.x)), Math.max(...shown.map((p) => p.x))];
  const marks = sweep.marks.map((mark) => ({ ...mark, x: mark.x / layout.x.size })).filter((mark) => mark.x >= low && mark.x <= high);
  return tidyAria(
    Plot.plot({
      ...(document && { document }),
      title: sweep.title,
      ariaLabel: sweep.title,
      ...(marks.length > 0 && { caption: `Rules: ${marks.map((mark) => `${mark.label} (${formatTick(mark.x)})`).join('; ')}.` }),
      ...frameOf(layout, width),
      marks: [
        Plot.ruleX(marks, { x: 'x', stroke: 'var(--muted)', strokeDasharray: '4 3' }),
        // Each rule's label a line below the one before, so two close rules keep both legible; to its left where it would run off.
        ...marks.map((mark, i) => {
          const inner = width - layout.margin.left - layout.margin.right;
          const at = position(layout.x, mark.x, inner);
          const wide = textWidth(mark.label, LABEL_SIZE) + 4;
          const left = at + wide > inner && (at >= wide || at > inner - at);
          return Plot.text([mark], { x: 'x', text: 'label', frameAnchor: 'top', textAnchor: left ? 'end' : 'start', dx: left ? -4 : 4, dy: 4 + 14 * i, fontSize: LABEL_SIZE, fill: 'var(--muted)' });
        }),
        Plot.line(shown, { x: 'x', y: 'y', stroke: PALETTE[0] }),
        Plot.dot(shown, { x: 'x', y: 'y', fill: PALETTE[0], r: 2.5, tip: true }),
      ],
    }),
  );
}
