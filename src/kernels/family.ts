// One interface for every kernel family (DESIGN.md, "The units"; llm.c gives every version of a kernel one
// launcher signature): its versions and their knobs, random inputs, the CPU reference, the cost model, refusals in
// the reader's words and prepare(). The harness, the labs, the conformance test and `npm run tune` read families
// only through this, so a new version is one entry in its family's `versions`.
import type { CompareOptions } from './gpu/check';
import type { Random } from './gpu/random';
import type { ComputeUnit } from '../schemas/results';
import type { SubgroupMatrixConfig } from './matrix/matrix';

/** A version's tunable knobs, by name: a tile size, a depth of K a step, a number of subgroups. */
export type Knobs = Readonly<Record<string, number>>;

export interface KernelVersion {
  /** Its name in the family, numbered simplest first in the WGSL header: `naive`, `tiled`, `matrix`. */
  name: string;
  /** In the reader's words: `tiled, f32`. */
  label: string;
  /** The unit its arithmetic runs on, whose measured ceiling bounds it. */
  unit: ComputeUnit;
  /** The element type of its inputs and output in device memory. */
  element: 'f32' | 'f16';
  /** Each knob's allowed values, the first the default; `tune` sweeps their product. */
  knobs: Readonly<Record<string, readonly number[]>>;
}

/** What one run costs in theory: FLOPs (an FMA counts 2), the fewest bytes that must cross device memory, dispatches. */
export interface KernelCost {
  flops: number;
  bytes: number;
  dispatches: number;
  /**
   * Runs of the step one prepared kernel records, each on its own buffers and fed by the one before (a chain of
   * layers, so a working set smaller than the L2 is still read from memory); the fields above are one run's. Default 1.
   */
  runs?: number;
}

/** The device as a refusal reads it: features, limits and, where known, the subgroup sizes and matrix configurations. */
export interface FamilyDevice {
  features: ReadonlySet<string>;
  limits: Readonly<Record<string, number>>;
  subgroupMatrixConfigs?: readonly SubgroupMatrixConfig[];
  subgroupMinSize?: number;
  subgroupMaxSize?: number;
}

/** Makes buffers against the device's limits and frees them with the run (the harness's `Resources`). */
export interface Allocator {
  device: GPUDevice;
  empty(bytes: number, usage: GPUBufferUsageFlags, what: string): GPUBuffer;
  from(data: ArrayBufferView, usage: GPUBufferUsageFlags, what: string): GPUBuffer;
  own<T extends { destroy(): void }>(thing: T): T;
}

/** A version prepared at one shape on its buffers: encode() records its dispatches into a pass. */
export interface PreparedKernel {
  /** `rep` counts the passes timed (0 for the check's run), so a kernel can rotate through copies of its inputs. */
  encode(pass: GPUComputePassEncoder, rep?: number): void;
  /** The buffer the check reads back, and the element type it holds. */
  output: { buffer: GPUBuffer; element: 'f32' | 'f16' };
  dispatches: number;
  destroy(): void;
  /** With the family's `resultsOf`: each result's buffer and element type, by the result's name. */
  results?: Readonly<Record<string, { buffer: GPUBuffer; element: 'f32' | 'f16' }>>;
}

/** One result a version writes, with its own layout and CPU reference (a family's `resultsOf`). */
export interface KernelResult<S = unknown, I = unknown> {
  /** Its name, the same in every version that writes it, so its reference is made once a point: `dA`. */
  name: string;
  rows: { count: number; length: number; checked?: number[] };
  reference(inputs: I, shape: S, rows: readonly number[]): Float64Array | Promise<Float64Array>;
}

/**
 * A kernel family at shapes `S`, with inputs `I` (host arrays, or the seeds of a fill made on the GPU). The output
 * is read as `rows(shape).count` rows of `rows(shape).length` values; the check compares the rows `rows(shape).checked` names.
 */
export interface KernelFamily<S = unknown, I = unknown> {
  id: string;
  versions: readonly KernelVersion[];
  /** Small shapes that are not multiples of any tile, each version checked at them (the conformance test, `tune`). */
  examples: readonly S[];
  /** A shape from `tune`'s command line (`m=4096,n=4096,k=4096`): its numbers by name; throws saying what it takes. */
  shapeOf(fields: Readonly<Record<string, number>>): S;
  /** Random inputs at `shape`, as `version` holds them (rounded to f16 where it reads f16). */
  inputs(shape: S, random: Random, version: KernelVersion): I;
  /** The run's buffers for `inputs` (filled), and its output, made through `alloc`. */
  buffers(alloc: Allocator, shape: S, inputs: I, version: KernelVersion, knobs: Knobs): Record<string, GPUBuffer>;
  /** The output's layout as rows, and which rows a check reads (default: the first and the last). */
  rows(shape: S): { count: number; length: number; checked?: number[] };
  /** The output's `rows` on the CPU, concatenated, in f64. */
  reference(inputs: I, shape: S, rows: readonly number[]): Float64Array | Promise<Float64Array>;
  /** How close the GPU must come, for this version (its sums' precision) against `expected`. */
  tolerance(version: KernelVersion, expected: ArrayLike<number>): CompareOptions;
  cost(shape: S, version: KernelVersion): KernelCost;
  /** Why this device cannot run `version` at `shape` with `knobs`, in the reader's words, or null. */
  refusal(device: FamilyDevice, shape: S, version: KernelVersion, knobs: Knobs): string | null;
  prepare(device: GPUDevice, shape: S, buffers: Record<string, GPUBuffer>, version: KernelVersion, knobs: Knobs): PreparedKernel;
  /**
   * Where versions write different results (LoRA's layer output, its merged weight, its two gradients): the ones
   * `version` writes, each checked against its own reference, their buffers in the prepared kernel's `results`.
   * Without it, every version writes the one output of `rows` and `reference`. Where `knobs` change a result's
   * layout (the read's block of words a sum), its name says so, so each layout's reference is made once.
   */
  resultsOf?(shape: S, version: KernelVersion, knobs: Knobs): KernelResult<S, I>[];
}

/** The version called `name`; throws naming the family's versions. */
export function versionOf(family: Pick<KernelFamily, 'id' | 'versions'>, name: string): KernelVersion {
  const version = family.versions.find((candidate) => candidate.name === name);
  if (!version) throw new Error(`${family.id} has no version ${name}: expected one of ${family.versions.map((v) => v.name).join(', ')}`);
  return version;
}

/** Each knob at its default (the first allowed value), with `given` over them. */
export function knobsOf(version: KernelVersion, given: Knobs = {}): Knobs {
  return { ...Object.fromEntries(Object.entries(version.knobs).map(([name, values]) => [name, values[0]!])), ...given };
}

/** Every combination of the knobs' values (`space` narrows a knob to the values given), defaults first. */
export function knobSpace(version: KernelVersion, space: Readonly<Record<string, readonly number[]>> = {}): Knobs[] {
  let combinations: Record<string, number>[] = [{}];
  for (const [name, values] of Object.entries({ ...version.knobs, ...space })) {
    combinations = combinations.flatMap((knobs) => values.map((value) => ({ ...knobs, [name]: value })));
  }
  return combinations;
}

/** A knob value that is not among the allowed ones, named, or null. */
export function knobProblem(version: KernelVersion, knobs: Knobs): string | null {
  for (const [name, value] of Object.entries(knobs)) {
    // Own knobs only: every object has a `constructor`, and it is no knob.
    const allowed = Object.hasOwn(version.knobs, name) ? version.knobs[name] : undefined;
    if (!allowed) return `${version.label} has no knob ${name}${Object.keys(version.knobs).length ? `: it has ${Object.keys(version.knobs).join(', ')}` : ''}`;
    if (!allowed.includes(value)) return `${version.label}: ${name} takes ${allowed.join(', ')}; received ${value}`;
  }
  return null;
}

/** The rows a check reads: the family's choice, else the first and the last. */
export function checkedRowsOf(rows: { count: number; checked?: number[] }): number[] {
  return rows.checked ?? (rows.count <= 1 ? [0] : [0, rows.count - 1]);
}

/** An even spread of at most `most` of `count` rows, the first and the last among them: the rows a large output's check reads. */
export function spreadRows(count: number, most: number): number[] {
  const taken = Math.min(count, most);
  return Array.from({ length: taken }, (_, i) => (i === taken - 1 ? count - 1 : Math.floor((i * count) / taken)));
}
