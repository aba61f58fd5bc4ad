// `npm run tune`: for one kernel family and one shape, every combination of its knobs' values (the family's own
// space, or the values given), each checked against the CPU reference at the family's small odd shapes and then at
// the target shape before it is timed; a ranked table and a JSON file. One run on a GPU machine sweeps a space.
import { writeFileSync } from 'node:fs';
import { families as registry } from '../src/kernels/families';
import { knobProblem, knobSpace, type KernelFamily, type KernelVersion, type Knobs } from '../src/kernels/family';
import { requestNodeGpu } from '../src/kernels/gpu/node';
import { isSoftware, problemOf } from '../src/kernels/gpu/outcome';
import { withErrorScopes } from '../src/kernels/gpu/errors';
import type { GpuContext, TimingOptions } from '../src/kernels/gpu/types';
import { formatRate, formatSeconds } from '../src/labs/format';
import { familyDeviceOf, prepareChecked, resolveParams, settingsOf, timeRuns } from '../src/labs/harness';
import { planOf, probe } from '../src/labs/probe';
import { makeRecord } from '../src/labs/record';
import type { LabContext } from '../src/labs/types';
import type { Ceilings, RunRecord } from '../src/schemas/results';
import { ceilingsOf, countOf, describeDevice, flopRate, jsonPathProblem, readFlags, refuse, REPS_RANGE, UsageError, WARMUP_RANGE, type BenchHost } from './main';

/** Most variants one sweep times: beyond this a space is a slip of the keyboard (4 knobs of 10 values is 10 000). */
export const MAX_VARIANTS = 512;

export const TUNE_USAGE = `usage: npm run tune -- --family ID --shape NAME=N,... [options]
  Sweeps the knobs of a kernel family's versions at one shape. Every variant is checked against the CPU reference
  at the family's small odd shapes, then at the target shape, before it is timed; a variant that fails is listed,
  never timed. Prints a table ranked by time (TFLOP/s or GB/s, and the share of this device's ceiling) and writes
  JSON with --json.
  --list              print the families, their versions and each version's knobs with their allowed values
  --family ID         the family to sweep (see --list)
  --version NAME      only this version (repeatable; default: every version of the family)
  --shape N=V,...     the target shape, e.g. m=4096,n=4096,k=4096 for gemm (see --list for each family's names)
  --knob NAME=V,...   only these values of a knob (repeatable); default: every allowed value (--list)
  --quick             one warm-up and 3 reps, the probe's tiny sizes (what CI on SwiftShader can afford)
  --reps N            timed repetitions per variant, ${REPS_RANGE.min} to ${REPS_RANGE.max} (default 20)
  --warmup N          warm-up runs per variant, ${WARMUP_RANGE.min} to ${WARMUP_RANGE.max} (default 3)
  --json FILE         write the ranked results as JSON
  --dawn-flag FLAG    one more flag for Dawn's create() (repeatable)
  --help              this text
  At most ${MAX_VARIANTS} variants a sweep.`;

export interface TuneOptions {
  help: boolean;
  list: boolean;
  family?: string;
  versions: string[];
  shape?: string;
  knobs: string[];
  quick: boolean;
  reps?: number;
  warmup?: number;
  json?: string;
  dawnFlags: string[];
}

/** Reads the command line; throws a UsageError naming what was wrong. */
export function parseTuneArgs(argv: string[]): TuneOptions {
  const options: TuneOptions = { help: false, list: false, versions: [], knobs: [], quick: false, dawnFlags: [] };
  readFlags(argv, (flag, take) => {
    switch (flag) {
      case '--help': case '-h': options.help = true; break;
      case '--list': options.list = true; break;
      case '--quick': options.quick = true; break;
      case '--family': options.family = take(); break;
      case '--version': options.versions.push(take()); break;
      case '--shape': options.shape = take(); break;
      case '--knob': options.knobs.push(take()); break;
      case '--reps': options.reps = countOf(take(), flag, REPS_RANGE); break;
      case '--warmup': options.warmup = countOf(take(), flag, WARMUP_RANGE); break;
      case '--json': options.json = take(); break;
      case '--dawn-flag': options.dawnFlags.push(take()); break;
      default: return false;
    }
    return true;
  });
  return options;
}

/** `a=1,b=2` as numbers by name; throws naming an entry that is not NAME=NUMBER. */
function numbersOf(text: string, flag: string): Record<string, number> {
  const fields: Record<string, number> = {};
  for (const entry of text.split(',')) {
    const [name, value, ...rest] = entry.split('=');
    const number = Number(value);
    if (!name || value === undefined || rest.length > 0 || value.trim() === '' || !Number.isFinite(number)) {
      throw new UsageError(`${flag} ${text}: expected NAME=NUMBER entries separated by commas; "${entry}" is not one`);
    }
    fields[name] = number;
  }
  return fields;
}

/** One variant of the sweep: a version with its knobs. */
export interface Variant {
  version: KernelVersion;
  knobs: Knobs;
}

export interface TuneRun {
  family: KernelFamily;
  shape: unknown;
  variants: Variant[];
  timing: TimingOptions;
}

/** Everything the sweep needs, checked before any GPU is asked for; throws a UsageError naming the first problem. */
export function resolveTune(options: TuneOptions, families: Record<string, KernelFamily> = registry): TuneRun {
  const ids = Object.keys(families);
  if (options.family === undefined) throw new UsageError(`--family is needed: one of ${ids.join(', ')}`);
  if (!Object.hasOwn(families, options.family)) throw new UsageError(`unknown family ${options.family}: the families are ${ids.join(', ')}`);
  const family = families[options.family]!;
  const names = family.versions.map((version) => version.name);
  const unknown = options.versions.filter((name) => !names.includes(name));
  if (unknown.length > 0) throw new UsageError(`${family.id} has no version ${unknown.join(', ')}: its versions are ${names.join(', ')}`);
  if (options.shape === undefined) throw new UsageError(`--shape is needed, e.g. ${shapeExample(family)}`);
  let shape: unknown;
  try {
    shape = family.shapeOf(numbersOf(options.shape, '--shape'));
  } catch (error) {
    throw error instanceof UsageError ? error : new UsageError(`--shape ${options.shape}: ${(error as Error).message}`);
  }
  const space: Record<string, number[]> = {};
  for (const entry of options.knobs) {
    const equals = entry.indexOf('=');
    const values = entry.slice(equals + 1).split(',').map(Number);
    if (equals < 1 || values.some((value) => !Number.isFinite(value))) throw new UsageError(`--knob ${entry}: expected NAME=V1,V2,...`);
    // Defined, not assigned: `__proto__=1` is then a knob name like any other (and no version has it).
    Object.defineProperty(space, entry.slice(0, equals), { value: values, enumerable: true });
  }
  const versions = family.versions.filter((version) => options.versions.length === 0 || options.versions.includes(version.name));
  const variants: Variant[] = [];
  for (const version of versions) {
    // A knob given on the command line narrows the versions that have it; the others sweep their own space.
    const own = Object.fromEntries(Object.entries(space).filter(([name]) => Object.hasOwn(version.knobs, name)));
    for (const knobs of knobSpace(version, own)) {
      const problem = knobProblem(version, knobs);
      if (problem) throw new UsageError(`--knob: ${problem}`);
      variants.push({ version, knobs });
    }
  }
  const stray = Object.keys(space).filter((name) => !versions.some((version) => Object.hasOwn(version.knobs, name)));
  if (stray.length > 0) throw new UsageError(`--knob ${stray.join(', ')}: no selected version of ${family.id} has such a knob (--list shows them)`);
  if (variants.length > MAX_VARIANTS) throw new UsageError(`the sweep has ${variants.length} variants, more than ${MAX_VARIANTS}: narrow it with --version or --knob`);
  const jsonProblem = options.json === undefined ? null : jsonPathProblem(options.json);
  if (jsonProblem) throw new UsageError(jsonProblem);
  const timing: TimingOptions = {
    warmup: options.warmup ?? (options.quick ? 1 : 3),
    reps: options.reps ?? (options.quick ? 3 : 20),
    ...(options.quick ? {} : { warmupSeconds: 1 }),
  };
  return { family, shape, variants, timing };
}

/** A family's first example shape as a --shape value. */
function shapeExample(family: KernelFamily): string {
  const example = family.examples[0] as Record<string, unknown> | undefined;
  const numbers = Object.entries(example ?? {}).filter(([, value]) => typeof value === 'number');
  return numbers.map(([name, value]) => `${name}=${value}`).join(',');
}

const knobText = (knobs: Knobs) => Object.entries(knobs).map(([name, value]) => `${name}=${value}`).join(' ') || '—';

/** What became of one variant: refused, failed its check (never timed), or timed. */
export type Outcome =
  | { variant: Variant; kind: 'refused'; reason: string }
  | { variant: Variant; kind: 'check-failed'; at: string; maxRelError: number }
  | { variant: Variant; kind: 'failed'; reason: string }
  | { variant: Variant; kind: 'timed'; record: RunRecord; checkedAt: number };

/**
 * Checks every variant at the family's examples and at `shape`, then times those that pass; resolves to each
 * variant's outcome, the timed ones fastest first.
 */
export async function sweep(ctx: LabContext, run: TuneRun, print: (line: string) => void): Promise<Outcome[]> {
  const { family, shape } = run;
  const device = familyDeviceOf(ctx.gpu);
  const outcomes: Outcome[] = [];
  for (const [index, variant] of run.variants.entries()) {
    const { version, knobs } = variant;
    const name = `${version.name} ${knobText(knobs)}`;
    const refusal = family.refusal(device, shape, version, knobs);
    if (refusal) {
      outcomes.push({ variant, kind: 'refused', reason: refusal });
      continue;
    }
    // The small odd shapes first: a variant wrong at an edge is found before it costs a large run.
    const shapes = [...family.examples.filter((example) => family.refusal(device, example, version, knobs) === null), shape];
    let failed: Outcome | null = null;
    let timed: Outcome | null = null;
    // A variant the GPU fails on (a buffer beyond its limits, a shader it rejects) is listed as such; the sweep goes on.
    try {
      await withErrorScopes(ctx.gpu.device, async () => {
        for (const [i, at] of shapes.entries()) {
          const target = i === shapes.length - 1;
          const what = `${family.id} ${name} at ${target ? 'the target shape' : `example ${i + 1}`}`;
          const checked = await prepareChecked(ctx, 'tune', family, at, version, knobs, { seed: 17 + i, what });
          try {
            if (!checked.check.ok) {
              failed = { variant, kind: 'check-failed', at: target ? 'the target shape' : JSON.stringify(at), maxRelError: checked.check.maxRelError };
              break;
            }
            if (!target) continue;
            const cost = family.cost(shape, version);
            // A kernel that chains `runs` steps (decode layers) is timed per step, as a lab records it.
            const runs = cost.runs ?? 1;
            const timing = await timeRuns(ctx, checked.check, what, checked.kernel.encode, runs);
            const record = makeRecord({
              lab: `tune ${family.id}`,
              variant: version.label,
              params: { version: version.name, ...knobs },
              timing,
              flops: cost.flops,
              bytes: cost.bytes,
              ceilings: ctx.ceilings,
              check: checked.check,
              unit: version.unit,
              extraDispatches: checked.kernel.dispatches / runs - 1,
            });
            timed = { variant, kind: 'timed', record, checkedAt: shapes.length };
          } finally {
            checked.destroy();
          }
        }
      });
    } catch (error) {
      const problem = problemOf(error);
      if (problem?.kind === 'lost' || problem?.kind === 'timeout') throw error;
      failed = { variant, kind: 'failed', reason: (error as Error).message.split('\n')[0]! };
    }
    const outcome = failed ?? timed!;
    outcomes.push(outcome);
    const said = outcome.kind === 'timed' ? formatSeconds(outcome.record.seconds.median) : outcome.kind === 'failed' ? `FAILED: ${outcome.reason}` : 'FAILED its check, not timed';
    print(`${index + 1}/${run.variants.length} ${name}: ${said}`);
  }
  const rank = (outcome: Outcome) => (outcome.kind === 'timed' ? outcome.record.seconds.median : Infinity);
  return outcomes.sort((a, b) => rank(a) - rank(b));
}

/** The ranked table: timed variants fastest first, then those that failed their check, then the refused. */
export function formatOutcomes(outcomes: Outcome[]): string {
  const rows = outcomes.map((outcome, i) => {
    const { version, knobs } = outcome.variant;
    const head = [outcome.kind === 'timed' ? String(i + 1) : '', version.name, knobText(knobs)];
    if (outcome.kind === 'refused') return [...head, 'refused', '', '', outcome.reason];
    if (outcome.kind === 'check-failed') return [...head, 'FAILED', '', '', `check at ${outcome.at}: error ${outcome.maxRelError.toExponential(2)}; not timed`];
    if (outcome.kind === 'failed') return [...head, 'FAILED', '', '', outcome.reason];
    const { record } = outcome;
    const rate = record.flops > 0 ? flopRate(record.achieved.gflops) : `${formatRate(record.achieved.gbps)} GB/s`;
    const check = `ok at ${outcome.checkedAt} shapes (error ${record.check.maxRelError.toExponential(1)})`;
    return [...head, formatSeconds(record.seconds.median), rate, `${(100 * record.fractionOfBound).toFixed(1)}% (${record.bound.limitedBy})`, check];
  });
  const header = ['rank', 'version', 'knobs', 'time', 'rate', 'of bound', 'check'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  return [header, ...rows].map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}

/** Every family, its versions and their knobs with the allowed values (the default first). */
function listFamilies(families: Record<string, KernelFamily>): string[] {
  return Object.values(families).flatMap((family) => [
    `${family.id} (--shape ${shapeExample(family)})`,
    ...family.versions.map((version) => `  ${version.name}: ${version.label}; knobs: ${Object.entries(version.knobs).map(([name, values]) => `${name}=${values.join(',')}`).join(' ') || 'none'}`),
  ]);
}

/** Runs `npm run tune`; resolves to the exit code (0: every variant timed or refused, none failed; 2: a usage mistake). */
export async function tune(
  argv: string[],
  print: (line: string) => void = console.log,
  host: BenchHost & { families?: Record<string, KernelFamily> } = { requestGpu: requestNodeGpu },
): Promise<number> {
  const families = host.families ?? registry;
  let run: TuneRun;
  let options: TuneOptions;
  try {
    options = parseTuneArgs(argv);
    if (options.help) {
      print(TUNE_USAGE);
      return 0;
    }
    if (options.list) {
      listFamilies(families).forEach((line) => print(line));
      return 0;
    }
    run = resolveTune(options, families);
  } catch (error) {
    return refuse(error, print);
  }
  let gpu: GpuContext;
  try {
    gpu = await host.requestGpu({ label: 'tune', flags: options.dawnFlags });
  } catch (error) {
    print(`no GPU: ${(error as Error).message}`);
    return 1;
  }
  try {
    describeDevice(gpu).forEach((line) => print(line));
    const probeSettings = settingsOf(probe, resolveParams(probe, {}, options.quick));
    const ceilings: Ceilings = await ceilingsOf(gpu, run.timing, planOf(probeSettings), print);
    print(`${run.family.id} at ${JSON.stringify(run.shape)}: ${run.variants.length} variants`);
    const ctx: LabContext = { gpu, ceilings, timing: run.timing, signal: new AbortController().signal, progress: () => {} };
    const outcomes = await sweep(ctx, run, print);
    print('');
    print(formatOutcomes(outcomes));
    if (options.json) {
      const file = {
        family: run.family.id,
        shape: run.shape,
        device: { name: gpu.info.description || gpu.info.device, software: isSoftware(gpu) },
        date: new Date().toISOString(),
        ceilings,
        outcomes: outcomes.map(({ variant, ...rest }) => ({ version: variant.version.name, knobs: variant.knobs, ...rest })),
      };
      writeFileSync(options.json, `${JSON.stringify(file, null, 2)}\n`);
      print(`\nwrote ${options.json} (${outcomes.length} variants)`);
    }
    return outcomes.some((outcome) => outcome.kind === 'check-failed' || outcome.kind === 'failed') ? 1 : 0;
  } catch (error) {
    print(`tune failed: ${(error as Error).message}`);
    return 1;
  } finally {
    gpu.device.destroy();
  }
}
