// Running a lab: parameters resolved and checked first (nothing is allocated for a refused run),
// records collected as they come, and any GPU failure turned into an outcome a reader understands.
import type { Lab, LabContext, ParamSpec, ParamValue, Params } from './types';
import type { RunRecord } from '../schemas/results';
import { GpuScopeError, waitFor } from '../kernels/gpu/errors';
import { problemOf, type GpuProblem } from '../kernels/gpu/outcome';

/** A lab's defaults, then its quick sizes when asked for, then the given overrides (undefined ones skipped). */
export function resolveParams(lab: Lab, overrides: Readonly<Record<string, ParamValue | undefined>> = {}, quick = false): Params {
  const params: Params = Object.fromEntries(lab.params.map((spec) => [spec.name, spec.default]));
  Object.assign(params, quick ? lab.quick : {});
  for (const [name, value] of Object.entries(overrides)) if (value !== undefined) params[name] = value;
  return params;
}

/** Reads a value typed by a reader or on the command line as the spec's kind; throws saying what was expected. */
export function parseParam(spec: ParamSpec, text: string): ParamValue {
  if (spec.kind === 'choice' || spec.kind === 'list') return text;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || (spec.kind === 'int' && !Number.isInteger(value))) {
    throw new Error(`${spec.name}: expected ${spec.kind === 'int' ? 'an integer' : 'a number'}, received "${text}"`);
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

/** A refusal when a parameter is unknown, of the wrong kind or outside its spec's bounds, else null. */
export function checkParams(lab: Lab, params: Params): string | null {
  const specs = new Map(lab.params.map((spec) => [spec.name, spec]));
  for (const [name, value] of Object.entries(params)) {
    const spec = specs.get(name);
    if (!spec) return `${lab.id} has no parameter ${name}: expected one of ${[...specs.keys()].join(', ')}`;
    const label = `${spec.label} (${name})`;
    const numbers = spec.kind === 'list' ? parseList(value) : spec.kind === 'choice' ? [] : [value as number];
    if (spec.kind === 'choice') {
      const allowed = (spec.choices ?? []).map((choice) => choice.value);
      if (!allowed.includes(String(value))) return `${label} must be one of ${allowed.join(', ')}; received ${String(value)}`;
      continue;
    }
    if (spec.kind === 'list' && numbers.length === 0) return `${label} needs at least one number; received "${String(value)}"`;
    for (const number of numbers) {
      if (typeof number !== 'number' || !Number.isFinite(number)) return `${label} must be a number; received ${String(value)}`;
      if (spec.kind === 'int' && !Number.isInteger(number)) return `${label} must be a whole number; received ${number}`;
      if (spec.min !== undefined && number < spec.min) return `${label} must be at least ${spec.min}${spec.unit ? ` ${spec.unit}` : ''}; received ${number}`;
      if (spec.max !== undefined && number > spec.max) return `${label} must be at most ${spec.max}${spec.unit ? ` ${spec.unit}` : ''}; received ${number}`;
    }
  }
  return null;
}

export type LabRun =
  | { kind: 'done'; records: RunRecord[] }
  | { kind: 'cancelled'; records: RunRecord[] }
  | (GpuProblem & { records: RunRecord[] });

/**
 * Runs `lab` with `params` (complete: see resolveParams). Refuses parameters out of bounds or beyond the
 * device's limits before anything is allocated (`too-large`); records come through `onRecord` as they are
 * measured and in the result. A lost device, a timeout or an error-scope error ends the run with that outcome.
 */
export async function runLab(lab: Lab, ctx: LabContext, params: Params, onRecord?: (record: RunRecord) => void): Promise<LabRun> {
  const records: RunRecord[] = [];
  const refusal = checkParams(lab, params) ?? lab.validate(params, ctx.gpu);
  if (refusal) return { kind: 'too-large', message: refusal, retry: false, records };
  const { device } = ctx.gpu;
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let failure: unknown = null;
  try {
    for await (const record of lab.run(ctx, params)) {
      records.push(record);
      onRecord?.(record);
    }
  } catch (error) {
    failure = error;
  }
  // A scope error is the cause of whatever failed after it (a read-back of a buffer never made, ...).
  const [validation, memory] = await popScopes(device);
  if (validation) failure = new GpuScopeError('validation', validation.message);
  else if (memory) failure = new GpuScopeError('out-of-memory', memory.message);
  if (failure === null) return { kind: 'done', records };
  const problem = problemOf(failure);
  return problem ? { ...problem, records } : { kind: 'cancelled', records };
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
