// The harness every lab runs on: parameters parsed once into typed settings, refusals before anything is
// allocated (a value out of bounds, a size beyond the device's limits, a run beyond the time budget), buffers
// allocated against the limits and freed, one checked run read back, then timed runs; records collected as they
// come, and any GPU failure turned into an outcome a reader understands.
import type { ExtraContext, Lab, LabContext, LabDevice, LabPoint, LabVariant, ParamSpec, ParamValue, Params, PointCost, SettingsOf } from './types';
import { checkedRowsOf, knobProblem, knobsOf, versionOf, type Allocator, type FamilyDevice, type KernelFamily, type KernelResult, type KernelVersion, type Knobs, type PreparedKernel } from '../kernels/family';
import { fromHalfArray } from '../kernels/gpu/f16';
import { Random } from '../kernels/gpu/random';
import type { Ceilings, RunRecord } from '../schemas/results';
import { createBufferFrom, createEmptyBuffer, readBuffer } from '../kernels/gpu/buffers';
import { compare, type CompareOptions } from '../kernels/gpu/check';
import { abortReason, DEFAULT_TIMEOUT_MS, GpuScopeError, waitFor, withErrorScopes } from '../kernels/gpu/errors';
import { checkBuffer } from '../kernels/gpu/limits';
import { isSoftware, problemOf, type GpuProblem } from '../kernels/gpu/outcome';
import { DEFAULT_WARMUP_SECONDS, measure, submitOnce, type EncodePass } from '../kernels/gpu/timing';
import type { Timing, TimingOptions } from '../kernels/gpu/types';
import { boundOf } from '../models/bound';
import { makeRecord } from './record';
import { formatSeconds } from './format';

/** A lab's defaults, then its quick sizes when asked for, then the given overrides (undefined ones skipped). */
export function resolveParams(lab: Lab, overrides: Readonly<Record<string, ParamValue | undefined>> = {}, quick = false): Params {
  const params: Params = Object.fromEntries(lab.params.map((spec) => [spec.name, spec.default]));
  Object.assign(params, quick ? lab.quick : {});
  for (const [name, value] of Object.entries(overrides)) if (value !== undefined) params[name] = value;
  return params;
}

/**
 * Reads a value typed by a reader or on the command line as the spec's kind, numbers in decimal only; throws saying
 * what was expected. A list stays text (parseList reads it), each entry checked.
 */
export function parseParam(spec: ParamSpec, text: string): ParamValue {
  // A number as a reader writes it: `16`, `-0.5`, `.25`, `1e6`; not `0x10`, `0b11` or `Infinity`, which Number() also takes.
  const decimal = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
  if (spec.kind === 'choice') return text;
  if (spec.kind === 'list') {
    const wrong = text.split(',').map((part) => part.trim()).find((part) => part !== '' && !decimal.test(part));
    if (wrong !== undefined) throw new Error(`${spec.label} takes numbers separated by commas; received "${wrong}"`);
    return text;
  }
  const value = Number(text);
  if (!decimal.test(text.trim()) || !Number.isFinite(value) || (spec.kind === 'int' && !Number.isInteger(value))) {
    throw new Error(`${spec.label} takes ${spec.kind === 'int' ? 'a whole number' : 'a number'}; received "${text}"`);
  }
  return value;
}

/** The numbers of a `list` parameter (`1, 2, 4`). */
export function parseList(value: ParamValue): number[] {
  return String(value)
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map(Number);
}

/** Longest sweep a list parameter takes unless its spec says otherwise. */
const MAX_LIST_LENGTH = 32;

/** The first parameter out of its spec, by name, with what is allowed in the reader's words; null when all are fine. */
export function paramProblem(lab: Lab, params: Params): { name: string; message: string } | null {
  const specs = new Map(lab.params.map((spec) => [spec.name, spec]));
  for (const [name, value] of Object.entries(params)) {
    const message = problemWith(specs.get(name), value);
    if (message === null) continue;
    return { name, message: message ?? `${lab.id} has no parameter ${name}: expected one of ${[...specs.keys()].join(', ')}` };
  }
  return null;
}

/** What is wrong with `value` for `spec` (undefined: no such spec), or null. */
function problemWith(spec: ParamSpec | undefined, value: ParamValue): string | null | undefined {
  if (!spec) return undefined;
  const { label } = spec;
  if (spec.kind === 'choice') {
    const allowed = spec.choices.map((choice) => choice.label);
    const known = spec.choices.some((choice) => choice.value === String(value));
    return known ? null : `${label} must be one of ${allowed.join('; ')}; received ${String(value)}`;
  }
  const numbers = spec.kind === 'list' ? parseList(value) : [value as number];
  if (spec.kind === 'list' && numbers.length === 0) return `${label} needs at least one number; received "${String(value)}"`;
  if (spec.kind === 'list' && numbers.length > (spec.maxLength ?? MAX_LIST_LENGTH)) {
    return `${label} takes at most ${spec.maxLength ?? MAX_LIST_LENGTH} numbers; received ${numbers.length}`;
  }
  const unit = spec.unit ? ` ${spec.unit}` : '';
  for (const number of numbers) {
    if (typeof number !== 'number' || !Number.isFinite(number)) return `${label} must be a number; received ${String(value)}`;
    if ((spec.kind === 'int' || (spec.kind === 'list' && spec.integer)) && !Number.isInteger(number)) return `${label} must be a whole number; received ${number}`;
    if (spec.min !== undefined && number < spec.min) return `${label} must be at least ${spec.min}${unit}; received ${number}`;
    if (spec.max !== undefined && number > spec.max) return `${label} must be at most ${spec.max}${unit}; received ${number}`;
    if (spec.kind === 'int' && spec.step !== undefined && number % spec.step !== 0) return `${label} must be a multiple of ${spec.step}${unit}; received ${number}`;
  }
  return null;
}

/** Parameters (complete and checked: see paramProblem) as the lab's typed settings: lists as numbers, choices as their values. */
export function settingsOf<P extends readonly ParamSpec[]>(lab: Lab<P>, params: Params): SettingsOf<P> {
  const settings: Record<string, number | number[] | string> = {};
  for (const spec of lab.params) {
    const value = params[spec.name]!;
    settings[spec.name] = spec.kind === 'list' ? parseList(value) : spec.kind === 'choice' ? String(value) : Number(value);
  }
  return settings as SettingsOf<P>;
}

/** Longest a point may be expected to run before a run is refused (warm-up, repetitions and the check). */
export const POINT_BUDGET_SECONDS = 10;

/**
 * The expected seconds of one point's timed passes: the bound of its runs times the passes measure() makes
 * (warm-up passes, or its warm-up time, then the repetitions), plus the checked run.
 */
export function pointSeconds(cost: PointCost, ceilings: Ceilings, timing: TimingOptions): number {
  const run = boundOf(cost.flops, cost.bytes, ceilings, cost.unit, cost.extraDispatches).seconds;
  const pass = run * (cost.runsPerPass ?? 1);
  return Math.max(timing.warmup * pass, timing.warmupSeconds ?? DEFAULT_WARMUP_SECONDS) + timing.reps * pass + run;
}

/** A refusal when the slowest point of the sweep is expected to run beyond the budget on this device, else null. */
export function budgetRefusal(costs: PointCost[], ceilings: Ceilings, timing: TimingOptions): string | null {
  const slowest = Math.max(0, ...costs.map((cost) => pointSeconds(cost, ceilings, timing)));
  if (slowest <= POINT_BUDGET_SECONDS) return null;
  return (
    `the slowest point would take about ${formatSeconds(slowest)} on this device (from its measured ceilings), beyond ` +
    `the ${POINT_BUDGET_SECONDS} s a point may take: choose a smaller size or fewer passes, or the quick preset.`
  );
}

/**
 * Why a run with `params` cannot start on this device, or null: a value out of its bounds, the lab's own rules,
 * the device's limits, and, given the device's ceilings and the timing, the time budget.
 */
export function refusalOf<P extends readonly ParamSpec[]>(
  lab: Lab<P>,
  params: Params,
  gpu: LabDevice,
  budget?: Pick<LabContext, 'ceilings' | 'timing'>,
): string | null {
  const bad = paramProblem(lab, params);
  if (bad) return bad.message;
  const settings = settingsOf(lab, params);
  const refusal = lab.validate?.(settings, gpu) ?? variantRefusal(lab, settings, gpu);
  return refusal ?? (budget ? budgetRefusal(costsOf(lab, settings, gpu), budget.ceilings, budget.timing) : null);
}

/** The shape `variant` runs at `point`: its own where it says one, else the point's with the variant's own fields over it. */
export function shapeAt<S>(point: LabPoint<S>, variant: LabVariant<S>): S {
  if (variant.shapeOf) return variant.shapeOf(point) as S;
  return variant.shape ? { ...point.shape, ...variant.shape } : point.shape;
}

/** Each variant at each point it runs at, the variants that run on this device. */
function pairsOf<P extends readonly ParamSpec[]>(lab: Lab<P>, settings: SettingsOf<P>, gpu: LabDevice): { point: LabPoint; variant: LabVariant }[] {
  const variants = lab.variants(settings, gpu);
  return lab.points(settings).flatMap((point) => variants.filter((variant) => runsAt(point, variant)).map((variant) => ({ point, variant })));
}

/** Runs of `variant` in one timed pass at `point`: the point's times the variant's own. */
const passRuns = (point: LabPoint, variant: LabVariant) => (point.runsPerPass ?? 1) * (variant.runsPerPass ?? 1);

/** Whether `variant` runs at `point`: those the point names, else every one. */
function runsAt(point: LabPoint, variant: LabVariant): boolean {
  return !point.variants || point.variants.includes(variant.label);
}

/** The first variant this device cannot run at a point (optional ones aside), in the reader's words, or null. */
function variantRefusal<P extends readonly ParamSpec[]>(lab: Lab<P>, settings: SettingsOf<P>, gpu: LabDevice): string | null {
  const device = familyDeviceOf(gpu);
  for (const { point, variant } of pairsOf(lab, settings, gpu)) {
    const version = versionOf(variant.family, variant.version);
    const refusal = knobProblem(version, variant.knobs ?? {}) ?? variant.family.refusal(device, shapeAt(point, variant), version, knobsOf(version, variant.knobs));
    if (refusal && !variant.optional) return `The ${variant.label} kernel ${point.label}: ${refusal}`;
  }
  return null;
}

/** Every timed run of a sweep, for the time budget: each variant's cost at each point (its own, the point's, or its family's). */
export function costsOf<P extends readonly ParamSpec[]>(lab: Lab<P>, settings: SettingsOf<P>, gpu: LabDevice): PointCost[] {
  return pairsOf(lab, settings, gpu).map(({ point, variant }) => {
    const version = versionOf(variant.family, variant.version);
    const cost = variant.family.cost(shapeAt(point, variant), version);
    const work = variant.cost?.(point) ?? point.cost ?? cost;
    return { flops: work.flops, bytes: work.bytes, unit: version.unit, extraDispatches: cost.dispatches - 1, runsPerPass: passRuns(point, variant) * (cost.runs ?? 1) };
  });
}

/** Random inputs of a family at a shape, and each result's checked rows from its reference (by the result's name): made once a point for each element type and shape. */
export type Made = Map<string, { inputs: unknown; expected: Map<string, Float64Array> }>;

/** A version prepared on its buffers and checked against its family's reference; `destroy()` frees its buffers. */
export interface Checked {
  kernel: PreparedKernel;
  check: { maxRelError: number; ok: boolean };
  destroy(): void;
}

/** The results `version` writes: the family's own list, else its one output. */
function resultsOf<S>(family: KernelFamily<S, unknown>, shape: S, version: KernelVersion, knobs: Knobs): KernelResult<S, unknown>[] {
  return family.resultsOf?.(shape, version, knobs) ?? [{ name: 'output', rows: family.rows(shape), reference: (inputs, at, rows) => family.reference(inputs, at, rows) }];
}

/**
 * Makes (or takes from `made`) the inputs and the reference's rows of `family` at `shape`, allocates and fills its
 * buffers, prepares `version` with `knobs`, runs it once and compares the rows read back with the reference (each
 * result's, where the version writes several).
 * What a lab's run, `npm run tune` and the conformance test all do before anything is timed.
 */
export async function prepareChecked<S>(
  ctx: LabContext,
  label: string,
  family: KernelFamily<S, unknown>,
  shape: S,
  version: KernelVersion,
  knobs: Knobs,
  { seed, made = new Map(), what }: { seed: number; made?: Made; what: string },
): Promise<Checked> {
  const results = resultsOf(family, shape, version, knobs);
  const key = `${family.id} ${version.element} ${JSON.stringify(shape)}`;
  if (!made.has(key)) {
    made.set(key, { inputs: family.inputs(shape, new Random(seed), version), expected: new Map() });
    await pause(ctx.signal);
  }
  const { inputs, expected } = made.get(key)!;
  for (const result of results) {
    if (expected.has(result.name)) continue;
    expected.set(result.name, await result.reference(inputs, shape, checkedRowsOf(result.rows)));
    await pause(ctx.signal);
  }
  const gpu = new Resources(ctx, label);
  try {
    const buffers = family.buffers(gpu, shape, inputs, version, knobs);
    const kernel = gpu.own(family.prepare(ctx.gpu.device, shape, buffers, version, knobs));
    let check = { ok: true, maxRelError: 0 };
    for (const [n, result] of results.entries()) {
      const { rows, name } = result;
      const about = results.length > 1 ? `${what}, ${name}` : what;
      // The first read runs the kernel once; the others read what that run left.
      const actual = await readRows(ctx, n === 0 ? kernel.encode : () => {}, kernel.results?.[name] ?? kernel.output, rows.length, checkedRowsOf(rows), about);
      const reference = expected.get(name)!;
      const one = checkOutput(actual, reference, family.tolerance(version, reference), about);
      check = { ok: check.ok && one.ok, maxRelError: Math.max(check.maxRelError, one.maxRelError) };
    }
    await pause(ctx.signal);
    return { kernel, check, destroy: () => gpu.destroy() };
  } catch (error) {
    gpu.destroy();
    throw error;
  }
}

/**
 * The run of a lab of points and variants, the same for every such lab: at each point each variant is refused
 * (where optional, left out), allocated, filled, run once, checked against its family's CPU reference, warmed up,
 * timed and recorded; inputs and references are made once a point for each element type.
 */
export async function* runPoints<P extends readonly ParamSpec[]>(lab: Lab<P>, ctx: LabContext, settings: SettingsOf<P>): AsyncIterable<RunRecord> {
  const points = lab.points(settings);
  const variants = [...lab.variants(settings, ctx.gpu)].sort((a, b) => Number(b.baseline ?? false) - Number(a.baseline ?? false));
  const total = points.reduce((sum, point) => sum + variants.filter((variant) => runsAt(point, variant)).length, 0);
  const familyDevice = familyDeviceOf(ctx.gpu);
  let done = 0;
  let warmed = false;
  for (const point of points) {
    const made: Made = new Map();
    let baseline: RunRecord | undefined;
    for (const variant of variants.filter((variant) => runsAt(point, variant))) {
      ctx.progress(done++, total, `${variant.label} ${point.label}`);
      const { family } = variant;
      const version = versionOf(family, variant.version);
      const knobs = knobsOf(version, variant.knobs);
      const shape = shapeAt(point, variant);
      const refusal = family.refusal(familyDevice, shape, version, knobs);
      if (refusal && variant.optional) continue;
      if (refusal) throw new LimitError(`The ${variant.label} kernel ${point.label}: ${refusal}`);
      const what = `the ${variant.label} kernel ${point.label}`;
      const { kernel, check, destroy } = await prepareChecked(ctx, lab.id, family, shape, version, knobs, { seed: point.seed, made, what });
      try {
        const runsPerPass = passRuns(point, variant);
        // Each run of a pass is its own rep, so a family that rotates copies of its inputs by rep reads a new one each time.
        const encode = runsPerPass === 1 ? kernel.encode : (pass: GPUComputePassEncoder, rep = 0) => { for (let r = 0; r < runsPerPass; r++) kernel.encode(pass, rep * runsPerPass + r); };
        // The run's first timed variant warms up for the lab's first warm-up, so it is not timed at an idle GPU's clocks.
        const warmup = warmed ? ctx.timing : { ...ctx.timing, warmupSeconds: Math.max(lab.firstWarmupSeconds ?? 0, ctx.timing.warmupSeconds ?? DEFAULT_WARMUP_SECONDS) };
        warmed = true;
        // A kernel that chains `runs` copies of its step records that many runs each time it is encoded.
        const own = family.cost(shape, version);
        const chained = own.runs ?? 1;
        let timing = await timeRuns(ctx, check, what.replace(/^the/, 'The'), encode, runsPerPass * chained, warmup);
        for (let round = 1; round < (point.rounds ?? 1); round++) {
          const again = await timeRuns(ctx, check, what.replace(/^the/, 'The'), encode, runsPerPass * chained);
          if (again.seconds.median < timing.seconds.median) timing = again;
        }
        const cost = variant.cost?.(point) ?? point.cost ?? own;
        const context: ExtraContext = { point, variant, seconds: timing.seconds.median, flops: cost.flops, bytes: cost.bytes, dispatches: kernel.dispatches, ...(baseline && { baseline }), gpu: ctx.gpu, ceilings: ctx.ceilings };
        const extra = lab.extra?.(context);
        const record = makeRecord({
          lab: lab.id,
          variant: variant.label,
          params: { ...point.params, ...variant.params },
          timing,
          flops: cost.flops,
          bytes: cost.bytes,
          ceilings: ctx.ceilings,
          check,
          unit: version.unit,
          // One run's share of the dispatches its pass adds beyond the first: each of the runsPerPass runs waits for the one before.
          extraDispatches: ((kernel.dispatches / chained) * runsPerPass - 1) / runsPerPass,
          ...(extra && Object.keys(extra).length > 0 && { extra }),
        });
        if (variant.baseline) baseline = record;
        if (!variant.hidden) yield record;
      } finally {
        destroy();
      }
    }
  }
  ctx.progress(total, total, 'done');
}

/** The most bytes one read of a check brings back: a large output is read in pieces, so none is held whole. */
const READ_PIECE_BYTES = 16 * 2 ** 20;

/**
 * Runs `encode` once, then reads back the `rows` (of `length` values each) of `output` (f16 or f32), as f32, in the
 * order given: only the stretches of the buffer that hold them, a piece at a time.
 */
async function readRows(ctx: LabContext, encode: EncodePass, output: { buffer: GPUBuffer; element: 'f32' | 'f16' }, length: number, rows: readonly number[], what: string): Promise<number[]> {
  const { device } = ctx.gpu;
  const size = output.element === 'f16' ? 2 : 4;
  const rowBytes = length * size;
  const order = [...rows.keys()].sort((a, b) => rows[a]! - rows[b]!);
  const values: number[][] = [];
  await withErrorScopes(device, async () => {
    submitOnce(device, encode, `check ${what}`);
    for (let i = 0; i < order.length; ) {
      // From this row on, every checked row whose end lies within one piece (copies start on 4 bytes).
      const start = Math.floor((rows[order[i]!]! * rowBytes) / 4) * 4;
      let j = i;
      while (j + 1 < order.length && (rows[order[j + 1]!]! + 1) * rowBytes - start <= READ_PIECE_BYTES) j++;
      const end = (rows[order[j]!]! + 1) * rowBytes;
      const raw = await readBuffer(device, output.buffer, end - start, { offset: start, lost: ctx.gpu.lost, signal: ctx.signal, timeoutMs: readTimeoutMs(ctx) });
      const piece = size === 2 ? fromHalfArray(new Uint16Array(raw, 0, Math.floor(raw.byteLength / 2))) : new Float32Array(raw, 0, Math.floor(raw.byteLength / 4));
      for (; i <= j; i++) {
        const first = (rows[order[i]!]! * rowBytes - start) / size;
        values[order[i]!] = Array.from(piece.subarray(first, first + length));
      }
    }
  });
  return values.flat();
}

export type LabRun =
  | { kind: 'done'; records: RunRecord[] }
  | { kind: 'cancelled'; records: RunRecord[] }
  | { kind: 'check-failed'; message: string; records: RunRecord[] }
  | (GpuProblem & { records: RunRecord[] });

/**
 * Runs `lab` with `params` (complete: see resolveParams). Refuses parameters out of bounds, beyond the device's
 * limits or beyond the time budget before anything is allocated (`too-large`); records come through `onRecord` as
 * they are measured and in the result. A lost device, a timeout or an error-scope error ends the run with that outcome.
 */
export async function runLab<P extends readonly ParamSpec[]>(lab: Lab<P>, ctx: LabContext, params: Params, onRecord?: (record: RunRecord) => void): Promise<LabRun> {
  const records: RunRecord[] = [];
  const refusal = refusalOf(lab, params, ctx.gpu, ctx);
  if (refusal) return { kind: 'too-large', message: refusal, retry: false, records };
  const { device } = ctx.gpu;
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let failure: unknown = null;
  try {
    const settings = settingsOf(lab, params);
    for await (const record of runPoints(lab, ctx, settings)) {
      records.push(record);
      onRecord?.(record);
    }
  } catch (error) {
    failure = error;
  }
  // A scope error is the cause of whatever failed after it (a read-back of a buffer never made, ...).
  const [validation, memory] = await popScopes(device);
  // A failed allocation leaves an invalid buffer, which then fails validation too: memory is the cause.
  if (memory) failure = new GpuScopeError('out-of-memory', memory.message);
  else if (validation) failure = new GpuScopeError('validation', validation.message);
  if (failure === null) return { kind: 'done', records };
  if (failure instanceof LimitError) return { kind: 'too-large', message: failure.message, retry: false, records };
  if (failure instanceof CheckFailure) return { kind: 'check-failed', message: failure.message, records };
  const problem = problemOf(failure);
  return problem ? { ...problem, records } : { kind: 'cancelled', records };
}

/** The device as every family's refusal reads it (FamilyDevice): features, limits, subgroup-matrix configurations and sizes. */
export function familyDeviceOf(gpu: LabDevice): FamilyDevice {
  const info = gpu.device?.adapterInfo;
  return { ...gpu, subgroupMatrixConfigs: gpu.info?.subgroupMatrixConfigs, subgroupMinSize: info?.subgroupMinSize, subgroupMaxSize: info?.subgroupMaxSize };
}

/** What this device cannot run or hold, found before a point runs or while allocating: ends the run as `too-large` with the limit named. */
export class LimitError extends Error {}

/**
 * The GPU objects of one run, made through here so that each buffer is checked against the device's limits
 * before it is created and everything is freed once, at the end, whatever happened.
 */
export class Resources implements Allocator {
  private readonly owned: { destroy(): void }[] = [];
  constructor(private readonly ctx: Pick<LabContext, 'gpu'>, private readonly label: string) {}

  get device(): GPUDevice {
    return this.ctx.gpu.device;
  }

  private checked(bytes: number, what: string): void {
    const refusal = checkBuffer(this.ctx.gpu.limits, bytes, what);
    if (refusal) throw new LimitError(refusal);
  }

  /** An empty buffer of `bytes`, labelled `<lab> <what>`. */
  empty(bytes: number, usage: GPUBufferUsageFlags, what: string): GPUBuffer {
    this.checked(bytes, what);
    return this.own(createEmptyBuffer(this.ctx.gpu.device, bytes, usage, `${this.label} ${what}`));
  }

  /** A buffer holding `data`. */
  from(data: ArrayBufferView, usage: GPUBufferUsageFlags, what: string): GPUBuffer {
    this.checked(data.byteLength, what);
    return this.own(createBufferFrom(this.ctx.gpu.device, data, usage, `${this.label} ${what}`));
  }

  /** Takes anything with destroy() (a kernel's dispatch, a buffer made elsewhere) to free with the rest. */
  own<T extends { destroy(): void }>(thing: T): T {
    this.owned.push(thing);
    return thing;
  }

  destroy(): void {
    for (const thing of this.owned.splice(0).reverse()) thing.destroy();
  }
}

/**
 * Lets the page breathe between pieces of CPU work (a reference, a random fill), so a click on Cancel is seen
 * and no task holds the main thread for long; throws the abort reason once cancelled.
 */
export async function pause(signal: AbortSignal): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  if (signal.aborted) throw abortReason(signal);
}

/**
 * How long a check's read-back, or a timed pass, may wait: the run's own limit, else the default; a software adapter, which is a CPU
 * sharing its cores with everything else, gets six times as long (Cancel still works meanwhile).
 */
export function readTimeoutMs(ctx: Pick<LabContext, 'gpu' | 'timing'>): number {
  return ctx.timing.timeoutMs ?? (isSoftware(ctx.gpu) ? 6 : 1) * DEFAULT_TIMEOUT_MS;
}

/** Compares the GPU's output with the CPU's; a mismatch is logged with its first pairs and a hint. */
export function checkOutput(actual: ArrayLike<number>, expected: ArrayLike<number>, options: CompareOptions, what: string): { maxRelError: number; ok: boolean } {
  const result = compare(actual, expected, options);
  if (!result.ok) console.warn(`${what} does not match the CPU:\n${result.mismatches.join('\n')}`);
  return { maxRelError: result.maxRelError, ok: result.ok };
}

/** A point whose output did not match the CPU: the run stops, since its time would mean nothing. */
export class CheckFailure extends Error {}

/**
 * Times passes of `runsPerPass` runs (inside error scopes), as the time of one run, once `check` has passed:
 * a failed check ends the run before anything is timed.
 */
export async function timeRuns(
  ctx: LabContext,
  check: { ok: boolean; maxRelError: number },
  what: string,
  encode: EncodePass,
  runsPerPass = 1,
  timing: TimingOptions = ctx.timing,
): Promise<Timing> {
  if (!check.ok) {
    throw new CheckFailure(
      `${what} did not match the CPU reference (largest relative error ${check.maxRelError.toExponential(2)}), so it was ` +
        'not timed: a wrong result has no speed worth showing.',
    );
  }
  const measured = await withErrorScopes(ctx.gpu.device, () => measure(ctx.gpu, encode, { ...timing, timeoutMs: timing.timeoutMs ?? readTimeoutMs(ctx), signal: ctx.signal }));
  const { median, p10, p90, n } = measured.seconds;
  return { ...measured, seconds: { median: median / runsPerPass, p10: p10 / runsPerPass, p90: p90 / runsPerPass, n } };
}

/** Pops the two scopes runLab pushed; a lost device answers null, and a broken one must not hang the run. */
async function popScopes(device: GPUDevice): Promise<[GPUError | null, GPUError | null]> {
  try {
    const validation = await waitFor(device.popErrorScope(), { what: 'checking for GPU errors', timeoutMs: 5000 });
    const memory = await waitFor(device.popErrorScope(), { what: 'checking for GPU errors', timeoutMs: 5000 });
    return [validation, memory];
  } catch {
    return [null, null];
  }
}
