import type { KernelFamily, Knobs } from '../kernels/family';
import type { GpuContext, TimingOptions, Ceilings } from '../kernels/gpu/types';
import type { Claim } from '../schemas/claim';
import type { ComputeUnit, RunRecord } from '../schemas/results';
import type { VerdictContext } from './verdict';

export type ParamValue = number | string | boolean;
export type Params = Record<string, ParamValue>;

interface SpecBase<N extends string> {
  /** The name in the paper's terms, used as the key in records: `sparsity`, `kvHeads`. */
  name: N;
  /** What the reader sees: `Sparsity`, `KV heads`. */
  label: string;
  /** Unit shown beside the input: `%`, `tokens`. */
  unit?: string;
  /** One line on what it does. */
  help?: string;
}

/** A number (`int`: a whole one), within its bounds. */
export interface NumberSpec<N extends string = string> extends SpecBase<N> {
  kind: 'int' | 'number';
  default: number;
  min?: number;
  max?: number;
  step?: number;
}

/** A comma-separated list of numbers, each within the bounds: a sweep. */
export interface ListSpec<N extends string = string> extends SpecBase<N> {
  kind: 'list';
  default: string;
  min?: number;
  max?: number;
  /** Whole numbers only. */
  integer?: boolean;
  /** At most this many entries (default 32). */
  maxLength?: number;
}

/** One of named values, shown as a select. */
export interface ChoiceSpec<N extends string = string, V extends string = string> extends SpecBase<N> {
  kind: 'choice';
  default: V;
  choices: readonly { value: V; label: string }[];
}

/** One control of a lab: the generic <Lab> builds its input from this, the harness parses its value once. */
export type ParamSpec = NumberSpec | ListSpec | ChoiceSpec;

/** The parsed value of a spec: a number, a list of numbers, or one of the choices. */
export type SettingOf<S> = S extends { kind: 'list' } ? number[] : S extends { kind: 'choice'; choices: readonly { value: infer V }[] } ? V : number;
/** A lab's parameters parsed, keyed by name and typed from the specs (declare them `as const`). */
export type SettingsOf<P extends readonly ParamSpec[]> = { [S in P[number] as S['name']]: SettingOf<S> };

/** Named parameter sets a reader can pick: `Llama-2-7B up-proj (4096→11008)`. */
export interface Preset {
  label: string;
  params: Params;
}

/** The unit of an axis field's values; the plot shows them in the multiple their magnitude calls for (µs or ms, MB or GB). */
export type AxisUnit = 'seconds' | 'bytes' | 'KiB' | 'GFLOP/s' | 'GB/s';

/** An axis of a plot: the field it reads, what it is (the unit, if any, is added to the title), its scale. */
export interface PlotAxis {
  field: string;
  label: string;
  log?: boolean;
  unit?: AxisUnit;
}

/** A plot of a lab's records, drawn by the generic <Lab> with Observable Plot. Fields are dotted paths into a RunRecord. */
export interface PlotSpec {
  id: string;
  title: string;
  x: PlotAxis;
  y: PlotAxis;
  /** A second swept parameter, drawn as one panel a value (LoRA's rank) rather than more colours; `label` names it in each panel. */
  facet?: { field: string; label: string };
  /** The reader's names of series whose variant's own name would mislead (the head's record carries the whole step's figures). */
  names?: Record<string, string>;
  /** Records are grouped into lines by this field (default `variant`). */
  series?: string;
  /** Only the records of these variants are drawn (default: all), e.g. a speedup over dense leaves dense out. */
  variants?: string[];
  /** Draw each record's bound as a dashed line: the field of the bound on the y axis, e.g. `bound.seconds`. */
  bound?: string;
  /** Fixed reference curves and points (an ideal 1/(1−s), a paper's figure), computed from x. */
  guides?: { label: string; fn?: (x: number) => number; points?: { x: number; y: number; label: string }[] }[];
}

/** What a lab knows of its device before a run (the page's validation has no device yet). */
export type LabDevice = Pick<GpuContext, 'limits' | 'features'> & Partial<Pick<GpuContext, 'info' | 'device'>>;

/** What a running lab is given: the device, this device's ceilings, and ways to report and stop. */
export interface LabContext {
  gpu: GpuContext;
  ceilings: Ceilings;
  timing: TimingOptions;
  signal: AbortSignal;
  progress: (done: number, total: number, what: string) => void;
}

/** What one timed run of a point costs in theory: the harness bounds the run's time with it before dispatching. */
export interface PointCost {
  flops: number;
  bytes: number;
  unit: ComputeUnit;
  extraDispatches: number;
  /** Runs in one timed pass (several for a kernel too short to time alone). */
  runsPerPass?: number;
}

/**
 * One kernel a lab times at each of its points: a version of a family with its knobs. Its records are named by
 * `label`; the harness checks it against the family's reference before it times it.
 */
export interface LabVariant<S = any> {
  /** The record's variant, in the reader's words: `tiled, f32`. */
  label: string;
  family: KernelFamily<S, any>;
  version: string;
  knobs?: Knobs;
  /** Parameters its records carry beyond the point's (`kernel: 'tiled'`). */
  params?: Params;
  /** Where the device refuses it at a point, leave it out there (the lab's point, as where N×N scores stop fitting) instead of refusing the run. */
  optional?: boolean;
  /** The variant the others are compared with at the same point (`extra`'s baseline): it runs first. */
  baseline?: boolean;
  /** Where variants differ in more than their kernel (GQA's KV heads): its fields over the point's shape. */
  shape?: Partial<S>;
  /**
   * Where its family's shape is not the lab's (one kernel of a decoder layer, timed alone at the layer's shapes): its
   * shape at a point, instead of the point's.
   */
  shapeOf?(point: LabPoint<S>): unknown;
  /** Timed only as the baseline of the others at its points, not recorded (the launch floor's pass of one dispatch). */
  hidden?: boolean;
  /**
   * Runs in one timed pass, times the point's (default 1): a kernel timed as it runs among others, back to back in
   * one pass (one kernel of a decoder layer), rather than paying a pass's start and end alone.
   */
  runsPerPass?: number;
  /**
   * The work it is judged against at a point, where the lab counts it itself (a model's layer and its output head,
   * from the model's op graph); default: the point's `cost`, else the family's.
   */
  cost?(point: LabPoint<S>): { flops: number; bytes: number };
}

/** One shape a lab runs every variant at. */
export interface LabPoint<S = any> {
  shape: S;
  /** The lab's parameters of this point, in its records: `{ size: 4096 }`. */
  params: Params;
  /** In progress lines and refusals: `at n=4096`. */
  label: string;
  /** The seed of its random inputs. */
  seed: number;
  /** The work every variant is judged against (naive and tiled against one bound); default: each variant's own. */
  cost?: { flops: number; bytes: number };
  /** Runs in one timed pass, for a kernel too short to time alone (default 1). */
  runsPerPass?: number;
  /** The labels of the variants that run here, where a lab's points are not all of one kind (the probe's); default: every variant. */
  variants?: readonly string[];
  /** Times each variant this many times and keeps the fastest: a ceiling is the best the device does (default 1). */
  rounds?: number;
}

/** What a record's `extra` is made from: its point and variant, the kernel's dispatches, and the baseline's record at that point. */
export interface ExtraContext<S = any> {
  point: LabPoint<S>;
  variant: LabVariant<S>;
  /** The median time of one run. */
  seconds: number;
  /** The work the record is judged by (the point's, else the variant's own). */
  flops: number;
  bytes: number;
  dispatches: number;
  baseline?: RunRecord;
  gpu: Pick<GpuContext, 'limits' | 'features'>;
  /** This device's ceilings, for a figure against one of them (a share of the copy bandwidth). */
  ceilings: Ceilings;
}

/** A lab: data, run by the harness (src/labs/harness.ts), no DOM (DESIGN.md, "The units"). */
export interface Lab<P extends readonly ParamSpec[] = readonly ParamSpec[]> {
  id: string;
  title: string;
  /** One paragraph on what it measures and against which bound. */
  description: string;
  params: P;
  presets?: Preset[];
  /** Overrides for a tiny run: what CI on SwiftShader and `--quick` can afford. */
  quick: Params;
  /**
   * A refusal message for settings the lab or the device cannot take (checked before anything is allocated), or
   * null; each variant's refusal at each point is asked of its family besides.
   */
  validate?(settings: SettingsOf<P>, gpu: LabDevice): string | null;
  /** The shapes of the sweep, each run with every variant (or those it names). */
  points(settings: SettingsOf<P>): LabPoint[];
  /** The kernels this device runs at the points; the baseline runs first at each. */
  variants(settings: SettingsOf<P>, gpu: LabDevice): LabVariant[];
  /** The first timed variant of a run warms up at least this long, so the first point is not timed at an idle GPU's clocks. */
  firstWarmupSeconds?: number;
  /** The lab's own figures of a record (a speedup over the baseline, a block size), kept in its `extra`. */
  extra?(context: ExtraContext): Record<string, number>;
  plots: PlotSpec[];
  /**
   * A lab that measures ceilings (the probe): this device's ceilings from a finished run's records, or null where
   * the run was too small to stand for the device. The page stores them for every other lab's bounds.
   */
  ceilingsFrom?(records: RunRecord[], params: Params, gpu: GpuContext): Ceilings | null;
  /**
   * The reader's names of the lab's own figures in a record's `extra` (`{ speedup: 'Speedup over dense (×)' }`), and of
   * the parameters its records carry beyond its settings (`{ kernel: 'Kernel' }`).
   */
  figures?: Record<string, string>;
  /** The papers' numbers this lab sets a run against (checked by claimSchema). */
  claims?: Claim[];
  /**
   * One or two sentences from a run's records, in the paper's terms: what `subject` ("your GPU", "the NVIDIA H100")
   * did against the ideal and the paper's claim; null when the records hold nothing to say it from. `context` says
   * what the records cannot (a software adapter ran them).
   */
  verdict?(records: RunRecord[], subject: string, context?: VerdictContext): string | null;
}
