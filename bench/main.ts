// The bench: runs labs headless through Dawn, prints a table and writes a results file
// (`resultsFileSchema`). The ceilings are measured first, once, and given to every lab.
import { accessSync, constants, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { dawnSource, requestNodeGpu } from '../src/kernels/gpu/node';
import { adapterDriver, adapterName } from '../src/kernels/gpu/adapter';
import { isSoftware } from '../src/kernels/gpu/outcome';
import { paramProblem, parseParam, refusalOf, resolveParams, runLab, settingsOf } from '../src/labs/harness';
import type { GpuContext, TimingOptions } from '../src/kernels/gpu/types';
import { labs } from '../src/labs/index';
import { planOf, probe } from '../src/labs/probe';
import { timingAgreement } from '../src/labs/probe/agreement';
import { measureCeilingsDetailed } from '../src/labs/probe/ceilings';
import type { Lab, Params } from '../src/labs/types';
import { DEVICE_NAME_MAX_LENGTH, resultsFileSchema, type Ceilings, type RunRecord } from '../src/schemas/results';
import { formatRate, formatSeconds } from '../src/labs/format';
import { formatTable } from './table';
import { formatMatrixConfigs } from '../src/kernels/matrix/matrix';

declare const __WEBGPU_VERSION__: string | undefined;

/**
 * The counts --reps and --warmup take: beyond them a number is a slip of the keyboard, not a measurement (with
 * `--reps 100000000` the ceilings alone would run for hours before any lab).
 */
export const REPS_RANGE = { min: 1, max: 1000 } as const;
export const WARMUP_RANGE = { min: 0, max: 100 } as const;

export const USAGE = `usage: npm run bench -- [options]
  --list              print the lab ids and exit
  --lab ID            run this lab (repeatable; default: every lab)
  --quick             each lab's tiny sizes (what CI on SwiftShader can afford)
  --set NAME=VALUE    override a parameter of every selected lab that has it; LAB.NAME=VALUE for one lab
  --json FILE         write the results file (src/schemas/results.ts)
  --reps N            timed repetitions per point, ${REPS_RANGE.min} to ${REPS_RANGE.max} (default 20, quick 3)
  --warmup N          warm-up runs per point, ${WARMUP_RANGE.min} to ${WARMUP_RANGE.max} (default 3, quick 1)
  --gpu-name NAME     the GPU's name for the results file, where the adapter does not say it (\`NVIDIA H200\`;
                      at most ${DEVICE_NAME_MAX_LENGTH} characters)
  --dawn-flag FLAG    one more flag for Dawn's create(), e.g. enable-dawn-features=disable_robustness
                      (repeatable; recorded in the results' runtime: such numbers are not a browser's)
  --help              this text`;

export interface BenchOptions {
  list: boolean;
  help: boolean;
  labs: string[];
  quick: boolean;
  sets: string[];
  json?: string;
  reps?: number;
  warmup?: number;
  dawnFlags: string[];
  gpuName?: string;
}

/** A mistake on the command line: the bench prints its message, one line, and exits with 2 before asking for a GPU. */
export class UsageError extends Error {}

/** A whole number within `range` for `flag`, or a UsageError naming the range. */
export function countOf(text: string, flag: string, range: { min: number; max: number }): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < range.min || n > range.max) {
    throw new UsageError(`${flag} takes a whole number from ${range.min} to ${range.max}; received "${text}"`);
  }
  return n;
}

/**
 * Walks a command line: `--flag value` and `--flag=value` alike, giving each flag to `on` with `take()` for its
 * value (a missing or empty value is a UsageError); `on` answers false for a flag it does not know.
 */
export function readFlags(argv: string[], on: (flag: string, take: () => string) => boolean): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const take = () => {
      const next = argv[i + 1];
      if (inline === undefined && (next === undefined || next.startsWith('--'))) throw new UsageError(`${flag} needs a value`);
      const text = inline ?? argv[++i]!;
      if (text === '') throw new UsageError(`${flag} needs a value`);
      return text;
    };
    if (!on(flag, take)) throw new UsageError(`unknown option ${arg}: --help lists the options`);
  }
}

/** Reads the command line, each option's value checked on its own; throws a UsageError saying what was wrong. */
export function parseArgs(argv: string[]): BenchOptions {
  const options: BenchOptions = { list: false, help: false, labs: [], quick: false, sets: [], dawnFlags: [] };
  readFlags(argv, (flag, take) => {
    switch (flag) {
      case '--list': options.list = true; break;
      case '--help': case '-h': options.help = true; break;
      case '--quick': options.quick = true; break;
      case '--lab': options.labs.push(take()); break;
      case '--set': options.sets.push(take()); break;
      case '--json': options.json = take(); break;
      case '--reps': options.reps = countOf(take(), flag, REPS_RANGE); break;
      case '--warmup': options.warmup = countOf(take(), flag, WARMUP_RANGE); break;
      case '--dawn-flag': options.dawnFlags.push(take()); break;
      case '--gpu-name': options.gpuName = take(); break;
      default: return false;
    }
    return true;
  });
  // The results file's schema would refuse a longer name only once the run is over.
  if (options.gpuName !== undefined && options.gpuName.length > DEVICE_NAME_MAX_LENGTH) {
    throw new UsageError(`--gpu-name takes at most ${DEVICE_NAME_MAX_LENGTH} characters; received ${options.gpuName.length}`);
  }
  return options;
}

/**
 * The overrides of each lab from `--set` entries, each value parsed by its spec's kind; throws a UsageError naming an
 * entry no selected lab takes or a value of the wrong kind. Names are matched against the specs' names only, so
 * `__proto__` is no parameter.
 */
export function overridesOf(selected: Lab[], sets: string[]): Map<string, Params> {
  const overrides = new Map<string, Params>(selected.map((lab) => [lab.id, {}]));
  for (const entry of sets) {
    const equals = entry.indexOf('=');
    if (equals < 1) throw new UsageError(`--set ${entry}: expected NAME=VALUE or LAB.NAME=VALUE`);
    const key = entry.slice(0, equals);
    const text = entry.slice(equals + 1);
    const dot = key.indexOf('.');
    const [labId, name] = dot >= 0 ? [key.slice(0, dot), key.slice(dot + 1)] : [undefined, key];
    const targets = selected.filter((lab) => (labId === undefined || lab.id === labId) && lab.params.some((spec) => spec.name === name));
    if (targets.length === 0) {
      throw new UsageError(`--set ${entry}: no selected lab${labId ? ` called ${labId}` : ''} has a parameter ${name}`);
    }
    for (const lab of targets) {
      try {
        overrides.get(lab.id)![name] = parseParam(lab.params.find((spec) => spec.name === name)!, text);
      } catch (error) {
        throw new UsageError(`--set ${entry}: ${(error as Error).message}`);
      }
    }
  }
  return overrides;
}

/** Why the results file cannot be written at `path`, or null: asked before the run, not after it. */
export function jsonPathProblem(path: string): string | null {
  const folder = dirname(resolve(path));
  try {
    if (!statSync(folder).isDirectory()) return `--json ${path}: ${folder} is not a folder`;
    accessSync(folder, constants.W_OK);
    const file = statSync(path, { throwIfNoEntry: false });
    if (file?.isDirectory()) return `--json ${path} is a folder: name a file in it`;
    if (file) accessSync(path, constants.W_OK);
    return null;
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    return code === 'ENOENT' ? `--json ${path}: there is no folder ${folder} to write it in` : `--json ${path}: cannot write there (${message})`;
  }
}

/** A run as the command line asks for it, every argument checked: main runs this and nothing else. */
export interface BenchRun {
  /** The selected labs in order, each with its parameters (complete, and within their specs). */
  labs: { lab: Lab; params: Params }[];
  /** The probe's parameters, for the ceilings measured before any lab (its --set entries and --quick apply). */
  probeParams: Params;
  timing: TimingOptions;
}

/**
 * Checks what parseArgs cannot alone: the lab ids, the --set entries, each selected lab's parameters and the probe's,
 * and where the results file goes; throws a UsageError naming the first problem. Nothing here touches the GPU, so a
 * mistake costs no run. What the device itself cannot take (its limits, the time budget) is asked once it is there.
 */
export async function resolveRun(options: BenchOptions): Promise<BenchRun> {
  const ids = Object.keys(labs);
  // Own properties only: every object has a `constructor` and a `__proto__`, and neither is a lab.
  const unknown = options.labs.filter((id) => !Object.hasOwn(labs, id));
  if (unknown.length > 0) throw new UsageError(`unknown lab ${unknown.join(', ')}: the labs are ${ids.join(', ')}`);
  const selected = await Promise.all((options.labs.length > 0 ? [...new Set(options.labs)] : ids).map((id) => labs[id]!()));
  const checked = selected.includes(probe) ? selected : [...selected, probe];
  const overrides = overridesOf(checked, options.sets);
  const params = new Map<Lab, Params>();
  for (const lab of checked) {
    const resolved = resolveParams(lab, overrides.get(lab.id), options.quick);
    const problem = paramProblem(lab, resolved);
    if (problem) throw new UsageError(`${lab.id}: ${problem.message}`);
    params.set(lab, resolved);
  }
  const jsonProblem = options.json === undefined ? null : jsonPathProblem(options.json);
  if (jsonProblem) throw new UsageError(jsonProblem);
  return {
    labs: selected.map((lab) => ({ lab, params: params.get(lab)! })),
    probeParams: params.get(probe)!,
    timing: {
      warmup: options.warmup ?? (options.quick ? 1 : 3),
      reps: options.reps ?? (options.quick ? 3 : 20),
      // A datacenter GPU idles at a fraction of its clock (the H100 and H200 drop to 345 MHz): warm each point up
      // long enough for the clock to come back, not just for a few passes. After 0.3 s the H200's times for one
      // point still spread up to threefold (2026-12-04); after 1 s they repeated.
      ...(options.quick ? {} : { warmupSeconds: 1 }),
    },
  };
}

export function describeDevice(gpu: GpuContext): string[] {
  const { info, limits } = gpu;
  return [
    `device: ${info.description || info.device || 'unnamed adapter'} (vendor ${info.vendor || '?'}, architecture ${info.architecture || '?'})`,
    ...(isSoftware(gpu)
      ? ['note: a software adapter (the GPU emulated on the CPU): the checks hold, but its speeds and ceilings are the CPU’s, not a GPU’s']
      : []),
    `features: ${[...gpu.features].sort().join(', ')}`,
    ...(info.subgroupMatrixConfigs ? [`subgroup matrices: ${formatMatrixConfigs(info.subgroupMatrixConfigs)}`] : []),
    `limits: maxBufferSize ${limits['maxBufferSize']}, maxStorageBufferBindingSize ${limits['maxStorageBufferBindingSize']}, maxComputeWorkgroupsPerDimension ${limits['maxComputeWorkgroupsPerDimension']}, maxComputeInvocationsPerWorkgroup ${limits['maxComputeInvocationsPerWorkgroup']}, maxComputeWorkgroupStorageSize ${limits['maxComputeWorkgroupStorageSize']}`,
  ];
}

/** A FLOP rate in TFLOP/s on a GPU, in GFLOP/s on a software adapter. */
export function flopRate(gflops: number): string {
  return gflops >= 1000 ? `${(gflops / 1000).toPrecision(4)} TFLOP/s` : `${formatRate(gflops)} GFLOP/s`;
}

/** This device's ceilings at the probe's `plan`, printed on one line. */
export async function ceilingsOf(gpu: GpuContext, timing: TimingOptions, plan: ReturnType<typeof planOf>, print: (line: string) => void): Promise<Ceilings> {
  const measured = await measureCeilingsDetailed(gpu, timing, plan);
  const { ceilings } = measured;
  print(
    `ceilings: copy ${formatRate(ceilings.copyGBps)} GB/s (${plan.copyBytes / 2 ** 20} MiB, ${measured.method}), ` +
      (ceilings.readGBps ? `read ${formatRate(ceilings.readGBps)} GB/s, ` : '') +
      `fp32 FMA ${flopRate(ceilings.fp32Gflops)}` +
      (ceilings.f16Gflops ? `, f16 FMA ${flopRate(ceilings.f16Gflops)}` : ', no f16') +
      (ceilings.f16MatrixGflops ? `, f16 matrix ${flopRate(ceilings.f16MatrixGflops)}` : ', no subgroup matrices') +
      (ceilings.f16MatrixFedGflops ? ` (${flopRate(ceilings.f16MatrixFedGflops)} fed from workgroup memory)` : '') +
      (ceilings.launchSeconds !== undefined ? `, launch floor ${formatSeconds(ceilings.launchSeconds)}` : ''),
  );
  return ceilings;
}

/** What main takes from its host, replaceable in a test: how it asks for the GPU. */
export interface BenchHost {
  requestGpu: typeof requestNodeGpu;
}

/** Prints a usage mistake, one line, and answers the exit code 2; anything else is a bug and is thrown on. */
export function refuse(error: unknown, print: (line: string) => void): number {
  if (!(error instanceof UsageError)) throw error;
  print(error.message);
  return 2;
}

/**
 * Runs the bench; resolves to the process exit code (0: every lab done and checked; 2: a mistake on the command
 * line, found before the GPU is asked for).
 */
export async function main(argv: string[], print: (line: string) => void = console.log, host: BenchHost = { requestGpu: requestNodeGpu }): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseArgs(argv);
  } catch (error) {
    return refuse(error, print);
  }
  if (options.help) {
    print(USAGE);
    return 0;
  }
  if (options.list) {
    for (const id of Object.keys(labs)) print(`${id}\t${(await labs[id]!()).title}`);
    return 0;
  }
  let checked: BenchRun;
  try {
    checked = await resolveRun(options);
  } catch (error) {
    return refuse(error, print);
  }
  const { timing } = checked;

  let gpu: GpuContext;
  try {
    gpu = await host.requestGpu({ label: 'bench', flags: options.dawnFlags });
  } catch (error) {
    print(`no GPU: ${(error as Error).message}`);
    return 1;
  }
  const runtime =
    `node ${process.version} + dawn (${dawnSource()}, webgpu ${typeof __WEBGPU_VERSION__ === 'string' ? __WEBGPU_VERSION__ : 'package'})` +
    (options.dawnFlags.length ? ` with ${options.dawnFlags.join(' ')}` : '');
  describeDevice(gpu).forEach((line) => print(line));
  print(`runtime: ${runtime}; timing: ${timing.warmup} warm-up passes${timing.warmupSeconds ? ` and at least ${timing.warmupSeconds} s` : ''}, ${timing.reps} reps${options.quick ? ', quick sizes' : ''}`);

  const notes: string[] = [];
  const records: RunRecord[] = [];
  let failed = false;
  try {
    // The ceilings, at the probe's sizes, if this device can take them.
    const refusal = refusalOf(probe, checked.probeParams, gpu);
    if (refusal) {
      print(`probe: ${refusal}`);
      return 2;
    }
    const plan = planOf(settingsOf(probe, checked.probeParams));
    const ceilings = await ceilingsOf(gpu, timing, plan, print);
    const agreement = await timingAgreement(gpu, ceilings, timing, plan.fma.threads);
    if (agreement) {
      const line =
        `timestamp vs submit: FMA ${agreement.shape.threads} threads × ${agreement.shape.iterations} steps: ` +
        `${agreement.timestamp.method} median ${(agreement.timestamp.seconds.median * 1e3).toFixed(4)} ms, ` +
        `submit median ${(agreement.submit.seconds.median * 1e3).toFixed(4)} ms, ratio ${agreement.ratio.toFixed(4)}`;
      print(line);
      notes.push(line);
    } else {
      notes.push('timestamp vs submit: no timestamp-query on this device');
    }

    for (const { lab, params } of checked.labs) {
      print(`\n== ${lab.id}: ${lab.title}`);
      const run = await runLab(lab, { gpu, ceilings, timing, signal: new AbortController().signal, progress: () => {} }, params);
      records.push(...run.records);
      print(formatTable(run.records, { software: isSoftware(gpu), labels: lab }));
      const bad = run.records.filter((record) => !record.check.ok).length;
      if (bad > 0) {
        failed = true;
        print(`${lab.id}: ${bad} record(s) FAILED their check`);
      }
      if (run.kind !== 'done') {
        failed = true;
        const line = `${lab.id}: ${run.kind}${'message' in run ? `: ${run.message}` : ''}`;
        print(line);
        notes.push(line);
        if (run.kind === 'lost') break;
      }
    }

    if (options.json) {
      const file = resultsFileSchema.parse({
        device: {
          name: options.gpuName ?? adapterName(gpu.info),
          ...(adapterDriver(gpu.info) && { driver: adapterDriver(gpu.info) }),
          info: gpu.info,
          features: [...gpu.features].sort(),
          limits: { ...gpu.limits },
        },
        runtime,
        date: new Date().toISOString(),
        ceilings,
        records,
        notes,
      });
      writeFileSync(options.json, `${JSON.stringify(file, null, 2)}\n`);
      print(`\nwrote ${options.json} (${records.length} records)`);
    }
  } catch (error) {
    print(`bench failed: ${(error as Error).message}`);
    failed = true;
  } finally {
    gpu.device.destroy();
  }
  return failed ? 1 : 0;
}
