import type { GpuContext, TimingOptions, Ceilings } from '../kernels/gpu/types';
import type { RunRecord } from '../schemas/results';

export type ParamValue = number | string | boolean;
export type Params = Record<string, ParamValue>;

/** One control of a lab: the generic <Lab> builds its input from this. */
export interface ParamSpec {
  /** The name in the paper's terms, used as the key in records: `sparsity`, `kvHeads`. */
  name: string;
  /** What the reader sees: `Sparsity`, `KV heads`. */
  label: string;
  /** `int`/`number` get a number input, `choice` a select; `list` is a comma-separated list of numbers (a sweep). */
  kind: 'int' | 'number' | 'choice' | 'list';
  default: ParamValue;
  /** Unit shown beside the input: `%`, `tokens`. */
  unit?: string;
  min?: number;
  max?: number;
  step?: number;
  /** For `choice`: the values and their labels. */
  choices?: { value: string; label: string }[];
  /** One line on what it does. */
  help?: string;
}

/** Named parameter sets a reader can pick: `Llama-2-7B up-proj (4096→11008)`. */
export interface Preset {
  label: string;
  params: Params;
}

/** A plot of a lab's records, drawn by the generic <Lab> with Observable Plot. Fields are dotted paths into a RunRecord. */
export interface PlotSpec {
  id: string;
  title: string;
  x: { field: string; label: string; log?: boolean };
  y: { field: string; label: string; log?: boolean };
  /** Records are grouped into lines by this field (default `variant`). */
  series?: string;
  /** Only the records of these variants are drawn (default: all), e.g. a speedup over dense leaves dense out. */
  variants?: string[];
  /** Draw each record's bound as a dashed line: the field of the bound on the y axis, e.g. `bound.seconds`. */
  bound?: string;
  /** Fixed reference curves and points (an ideal 1/(1−s), a paper's figure), computed from x. */
  guides?: { label: string; fn?: (x: number) => number; points?: { x: number; y: number; label: string }[] }[];
}

/** What a running lab is given: the device, this device's ceilings, and ways to report and stop. */
export interface LabContext {
  gpu: GpuContext;
  ceilings: Ceilings;
  timing: TimingOptions;
  signal: AbortSignal;
  progress: (done: number, total: number, what: string) => void;
}

/** A lab: data plus a run function, no DOM (DESIGN.md, "The units"). */
export interface Lab {
  id: string;
  title: string;
  /** One paragraph on what it measures and against which bound. */
  description: string;
  params: ParamSpec[];
  presets?: Preset[];
  /** Overrides for a tiny run: what CI on SwiftShader and `--quick` can afford. */
  quick: Params;
  /** A refusal message for parameters the device cannot take (checked before anything is allocated), or null. */
  validate(params: Params, gpu: Pick<GpuContext, 'limits' | 'features'>): string | null;
  /** Runs the sweep, yielding one record per (variant, point); every point is checked before it is timed. */
  run(ctx: LabContext, params: Params): AsyncIterable<RunRecord>;
  plots: PlotSpec[];
  /**
   * A lab that measures ceilings (the probe): this device's ceilings from a finished run's records, or null where
   * the run was too small to stand for the device. The page stores them for every other lab's bounds.
   */
  ceilingsFrom?(records: RunRecord[], params: Params, gpu: GpuContext): Ceilings | null;
}
