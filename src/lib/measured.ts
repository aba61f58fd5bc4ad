// Measured numbers for the notes' prose, read at build time from a results file (src/data/reference/*.json), so a
// sentence about the H100 says what the H100's file holds, not what it held when the sentence was written. A
// measurement is one record (its lab, its variant, and as many of its parameters as single it out) or one PyTorch
// peer (its name); what is printed is one of its quantities, or that quantity against a second measurement of the
// same file. A query that matches nothing, or more than one record, throws, saying what was asked and what the file
// holds: a wrong reference fails the build instead of printing a blank.
import type { Peer, ResultsFile, RunRecord } from '../schemas/results';
import { formatBandwidth, formatBytes, formatFlopRate, formatPercent, formatRatio, formatSeconds } from '../labs/format';

export type ParamValue = number | string | boolean;

/** One record of a results file: its lab, its variant, and the parameters that single it out among that variant's records. */
export interface RecordQuery {
  lab: string;
  variant: string;
  params?: Record<string, ParamValue>;
}

/** One measurement by another library in the same call: the peer's name as the file spells it (`gemv 11008x4096 float16`). */
export interface PeerQuery {
  peer: string;
}

export type Measurement = RecordQuery | PeerQuery;

/**
 * What to print of a measurement. `time`: the median seconds; `bandwidth`: the bytes it moved per second (GB/s);
 * `flops`: its FLOPs per second; `bytes`: the bytes its cost model counts; `bound`: the least time the device's
 * measured ceilings allow it; `fraction`: that bound over its time. A peer has a time, and the rates it reported.
 */
export const QUANTITIES = ['time', 'bandwidth', 'flops', 'bytes', 'bound', 'fraction'] as const;
export type Quantity = (typeof QUANTITIES)[number];

/**
 * How to print a quantity against a second measurement's. `ratio`: first ÷ second, `1.40×`; `change`: that ratio
 * less one, `+4.3%`; `share`: the ratio as a percentage, `54%`; `difference`: first − second in the quantity's
 * unit, which must not be negative (the prose says which is larger).
 */
export const COMPARISONS = ['ratio', 'change', 'share', 'difference'] as const;
export type Comparison = (typeof COMPARISONS)[number];

/** What a note asks for: a quantity of one measurement, alone or against a second (`over`). */
export interface MeasuredQuery {
  measurement: Measurement;
  /** `time` unless given. */
  show?: Quantity;
  /** The second measurement; compared by `as`. */
  over?: Measurement;
  /** `ratio` unless given; only with `over`. */
  as?: Comparison;
}

export interface Measured {
  /** What the prose prints: `2.66 ms`, `1.40×`, `+4.3%`. */
  text: string;
  /** The number behind it: seconds, GB/s, GFLOP/s, bytes, a fraction, or the comparison's ratio or difference. */
  value: number;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** A results file's date as prose reads it: `4 December 2026` (UTC). */
export function formatDay(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw new Error(`"${iso}" is not a date`);
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}

/** A change as a signed percentage, with a minus sign rather than a hyphen: `+4.3%`, `+123%`, `−35%`. */
export function formatChange(change: number): string {
  const percent = formatPercent(Math.abs(change));
  return `${change < 0 ? '−' : '+'}${percent}`;
}

const isPeer = (m: Measurement): m is PeerQuery => 'peer' in m;

const listParams = (params: Record<string, ParamValue>) =>
  Object.entries(params)
    .map(([name, value]) => `${name} ${value}`)
    .join(', ');

/** A measurement in words, for messages: `teal "dense" (dtype f16, sparsity 0)`, `PyTorch's "gemv 11008x4096 float16"`. */
export function describeMeasurement(m: Measurement): string {
  if (isPeer(m)) return `PyTorch's "${m.peer}"`;
  const params = m.params && Object.keys(m.params).length > 0 ? ` (${listParams(m.params)})` : '';
  return `${m.lab} "${m.variant}"${params}`;
}

const unique = <T>(values: T[]) => [...new Set(values)];
const quoted = (values: unknown[]) => values.map((v) => `"${v}"`).join(', ');

/** The one record a query names; throws saying what the file holds where none or several match. */
export function findRecord(file: ResultsFile, query: RecordQuery): RunRecord {
  const ofLab = file.records.filter((r) => r.lab === query.lab);
  if (ofLab.length === 0) throw new Error(`no records of the lab "${query.lab}"; the file holds records of ${quoted(unique(file.records.map((r) => r.lab)))}`);
  const ofVariant = ofLab.filter((r) => r.variant === query.variant);
  if (ofVariant.length === 0) throw new Error(`no ${query.lab} records of the variant "${query.variant}"; its variants are ${quoted(unique(ofLab.map((r) => r.variant)))}`);
  const params = query.params ?? {};
  for (const name of Object.keys(params)) {
    if (!ofVariant.some((r) => name in r.params)) {
      throw new Error(`${query.lab} "${query.variant}" records have no parameter "${name}"; they have ${quoted(unique(ofVariant.flatMap((r) => Object.keys(r.params))))}`);
    }
  }
  const matches = ofVariant.filter((r) => Object.entries(params).every(([name, value]) => r.params[name] === value));
  if (matches.length === 0) {
    const held = Object.keys(params).map((name) => `${name} is one of ${unique(ofVariant.map((r) => r.params[name])).join(', ')}`);
    throw new Error(`no ${describeMeasurement(query)} record; among its records ${held.join('; ')}`);
  }
  if (matches.length > 1) {
    const differ = unique(matches.flatMap((r) => Object.keys(r.params))).filter((name) => unique(matches.map((r) => r.params[name])).length > 1);
    const choices = differ.map((name) => `${name} (${unique(matches.map((r) => r.params[name])).join(', ')})`);
    throw new Error(`${matches.length} records match ${describeMeasurement(query)}; name ${choices.join(' and ')} to pick one`);
  }
  return matches[0]!;
}

/** The peer of that name; throws listing the file's peers where there is none. */
export function findPeer(file: ResultsFile, query: PeerQuery): Peer {
  const peer = file.peers?.find((p) => p.name === query.peer);
  if (!peer) throw new Error(`no peer "${query.peer}"; ${file.peers?.length ? `the file's peers are ${quoted(file.peers.map((p) => p.name))}` : 'the file has no peers'}`);
  return peer;
}

/** A measurement's quantity in its base unit: seconds, GB/s, GFLOP/s, bytes, or a fraction. */
export function quantityOf(file: ResultsFile, m: Measurement, show: Quantity): number {
  if (isPeer(m)) {
    const peer = findPeer(file, m);
    if (show === 'time') return peer.seconds;
    const figure = show === 'bandwidth' ? peer.figures?.gbps : show === 'flops' && peer.figures?.tflops !== undefined ? peer.figures.tflops * 1e3 : undefined;
    if (figure === undefined) {
      const reported = Object.keys(peer.figures ?? {});
      throw new Error(`${describeMeasurement(m)} has no ${show}: a peer gives its time${reported.length ? ` and ${reported.join(', ')}` : ''}`);
    }
    return figure;
  }
  const record = findRecord(file, m);
  switch (show) {
    case 'time': return record.seconds.median;
    case 'bandwidth': return record.achieved.gbps;
    case 'flops': return record.achieved.gflops;
    case 'bytes': return record.bytes;
    case 'bound': return record.bound.seconds;
    case 'fraction': return record.fractionOfBound;
  }
}

/** A quantity in the unit its magnitude calls for, as every page prints it (src/labs/format.ts). */
export function formatQuantity(value: number, show: Quantity): string {
  switch (show) {
    case 'time':
    case 'bound': return formatSeconds(value);
    case 'bandwidth': return formatBandwidth(value * 1e9);
    case 'flops': return formatFlopRate(value * 1e9);
    case 'bytes': return formatBytes(value);
    case 'fraction': return formatPercent(value);
  }
}

/** What a query asks for, printed from the file. */
export function measured(file: ResultsFile, query: MeasuredQuery): Measured {
  const show = query.show ?? 'time';
  if (!QUANTITIES.includes(show)) throw new Error(`show="${show}": expected one of ${QUANTITIES.join(', ')}`);
  const value = quantityOf(file, query.measurement, show);
  if (!query.over) {
    if (query.as) throw new Error(`as="${query.as}" compares with a second measurement; give it as over`);
    return { text: formatQuantity(value, show), value };
  }
  const as = query.as ?? 'ratio';
  if (!COMPARISONS.includes(as)) throw new Error(`as="${as}": expected one of ${COMPARISONS.join(', ')}`);
  const other = quantityOf(file, query.over, show);
  if (as === 'difference') {
    if (show === 'fraction') throw new Error('a difference of two fractions of their bounds is not a quantity; compare them by ratio');
    const difference = value - other;
    if (difference < 0) throw new Error(`${describeMeasurement(query.measurement)} is below ${describeMeasurement(query.over)} (${formatQuantity(value, show)} against ${formatQuantity(other, show)}): the difference would be negative; swap them`);
    return { text: formatQuantity(difference, show), value: difference };
  }
  const ratio = value / other;
  const text = as === 'ratio' ? formatRatio(ratio) : as === 'change' ? formatChange(ratio - 1) : formatPercent(ratio);
  return { text, value: ratio };
}

/** A second measurement given in a note by what differs from the first: a peer, or a record inheriting the first's lab, variant and (same lab) parameters. */
export function resolveOver(first: Measurement, over: Partial<RecordQuery> & Partial<PeerQuery>): Measurement {
  if (over.peer !== undefined) return { peer: over.peer };
  const base = isPeer(first) ? undefined : first;
  const lab = over.lab ?? base?.lab;
  const variant = over.variant ?? base?.variant;
  if (lab === undefined || variant === undefined) throw new Error('over names no peer, and no lab and variant to compare with');
  const sameLab = base !== undefined && lab === base.lab;
  return { lab, variant, params: sameLab ? { ...base.params, ...over.params } : (over.params ?? {}) };
}

/** What a note writes in `<Measured …>`: the reference file, then either a measurement or `show="device"`/`"date"`. */
export interface MeasuredProps {
  /** The reference file by its name: `h100`, `h200`. */
  gpu: string;
  lab?: string;
  variant?: string;
  params?: Record<string, ParamValue>;
  peer?: string;
  /** A quantity of the measurement, or the file's device name or day. */
  show?: Quantity | 'device' | 'date';
  /** A second measurement, by what differs from the first. */
  over?: Partial<RecordQuery> & Partial<PeerQuery>;
  as?: Comparison;
  /** Print the device and the day after the number, in brackets. */
  cite?: boolean;
}

/** The prose's text of a `<Measured>`, and the device and day it was measured on. */
export interface MeasuredText {
  text: string;
  /** The number behind the text; absent for the device's name and the day. */
  value?: number;
  device: string;
  day: string;
}

/** The source file of a page's path, for messages: `/papers/teal/` → `src/content/papers/teal.mdx`. */
export function noteOf(pathname: string): string {
  const slug = /^\/papers\/([^/]+)\/?$/.exec(pathname)?.[1];
  return slug ? `src/content/papers/${slug}.mdx` : pathname;
}

/** The props as a note wrote them: `gpu="h100" lab="teal" params={"dtype":"f16"}`. */
function describeProps(props: MeasuredProps): string {
  return Object.entries(props)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => (typeof value === 'string' ? `${name}="${value}"` : `${name}={${JSON.stringify(value)}}`))
    .join(' ');
}

/** A `<Measured>` of a note, looked up in the reference files; throws naming the note, what it asked for and why it cannot be had. */
export function measuredForNote(note: string, references: readonly { id: string; file: ResultsFile }[], props: MeasuredProps): MeasuredText {
  try {
    const reference = references.find((ref) => ref.id === props.gpu);
    if (!reference) throw new Error(`no reference file "${props.gpu}"; there are ${quoted(references.map((ref) => ref.id))}`);
    const { file } = reference;
    const device = file.device.name;
    const day = formatDay(file.date);
    const { lab, variant, params, peer, show, over, as } = props;
    const named = lab !== undefined || variant !== undefined || peer !== undefined;
    if (show === 'device' || show === 'date') {
      if (named || over || as) throw new Error(`show="${show}" prints the file's ${show === 'device' ? 'device' : 'day'}; it takes no measurement`);
      return { text: show === 'device' ? device : day, device, day };
    }
    let measurement: Measurement;
    if (peer !== undefined) {
      if (lab !== undefined || variant !== undefined || params) throw new Error('a peer is named alone, without lab, variant or params');
      measurement = { peer };
    } else {
      if (lab === undefined || variant === undefined) throw new Error('name a record (lab and variant, and params to single it out) or a peer');
      measurement = { lab, variant, ...(params && { params }) };
    }
    const result = measured(file, { measurement, ...(show && { show }), ...(over && { over: resolveOver(measurement, over) }), ...(as && { as }) });
    const text = props.cite ? `${result.text} (${device}, ${day})` : result.text;
    return { text, value: result.value, device, day };
  } catch (error) {
    throw new Error(`${note}: <Measured ${describeProps(props)}>: ${(error as Error).message}`);
  }
}
