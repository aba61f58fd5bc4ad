// The bench: runs labs headless through Dawn, prints a table and writes a results file
// (`resultsFileSchema`). The ceilings are measured first, once, and given to every lab.
import { writeFileSync } from 'node:fs';
import { dawnSource, requestNodeGpu } from '../src/kernels/gpu/node';
import { adapterDriver, adapterName } from '../src/kernels/gpu/adapter';
import { isSoftware } from '../src/kernels/gpu/outcome';
import { parseParam, refusalOf, resolveParams, runLab, settingsOf } from '../src/labs/harness';
import type { GpuContext, TimingOptions } from '../src/kernels/gpu/types';
import { labs } from '../src/labs/index';
import { planOf, probe } from '../src/labs/probe';
import { timingAgreement } from '../src/labs/probe/agreement';
import { measureCeilingsDetailed } from '../src/labs/probe/ceilings';
import type { Lab, Params } from '../src/labs/types';
import { resultsFileSchema, type RunRecord } from '../src/schemas/results';
import { formatRate, formatSeconds } from '../src/labs/format';
import { formatTable } from './table';
import { formatMatrixConfigs } from '../src/kernels/matrix/matrix';

declare const __WEBGPU_VERSION__: string | undefined;

export const USAGE = `usage: npm run bench -- [options]
  --list              print the lab ids and exit
  --lab ID            run this lab (repeatable; default: every lab)
  --quick             each lab's tiny sizes (what CI on SwiftShader can afford)
  --set NAME=VALUE    override a parameter of every selected lab that has it; LAB.NAME=VALUE for one lab
  --json FILE         write the results file (src/schemas/results.ts)
  --reps N            timed repetitions per point (default 20, quick 3)
  --warmup N          warm-up runs per point (default 3, quick 1)
  --gpu-name NAME     the GPU's name for the results file, where the adapter does not say it (\`NVIDIA H200\`)
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

/** Reads the command line; throws with what was wrong. */
export function parseArgs(argv: string[]): BenchOptions {
  const options: BenchOptions = { list: false, help: false, labs: [], quick: false, sets: [], dawnFlags: [] };
  const value = (i: number, flag: string) => {
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) throw new Error(`${flag} needs a value`);
    return next;
  };
  const count = (text: string, flag: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} needs a whole number, received "${text}"`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const take = () => inline ?? value(i++, flag);
    switch (flag) {
      case '--list': options.list = true; break;
      case '--help': case '-h': options.help = true; break;
      case '--quick': options.quick = true; break;
      case '--lab': options.labs.push(take()); break;
      case '--set': options.sets.push(take()); break;
      case '--json': options.json = take(); break;
      case '--reps': options.reps = count(take(), flag); break;
      case '--warmup': options.warmup = count(take(), flag); break;
      case '--dawn-flag': options.dawnFlags.push(take()); break;
      case '--gpu-name': options.gpuName = take(); break;
      default: throw new Error(`unknown option ${arg}\n${USAGE}`);
    }
  }
  if (options.reps === 0) throw new Error('--reps must be at least 1');
  return options;
}

/** The overrides of each lab from `--set` entries; throws naming an entry no selected lab takes. */
export function overridesOf(selected: Lab[], sets: string[]): Map<string, Params> {
  const overrides = new Map<string, Params>(selected.map((lab) => [lab.id, {}]));
  for (const entry of sets) {
    const equals = entry.indexOf('=');
    if (equals < 1) throw new Error(`--set ${entry}: expected NAME=VALUE or LAB.NAME=VALUE`);
    const key = entry.slice(0, equals);
    const text = entry.slice(equals + 1);
    const dot = key.indexOf('.');
    const [labId, name] = dot >= 0 ? [key.slice(0, dot), key.slice(dot + 1)] : [undefined, key];
    const targets = selected.filter((lab) => (labId === undefined || lab.id === labId) && lab.params.some((spec) => spec.name === name));
    if (targets.length === 0) {
      throw new Error(`--set ${entry}: no selected lab${labId ? ` called ${labId}` : ''} has a parameter ${name}`);
    }
    for (const lab of targets) overrides.get(lab.id)![name] = parseParam(lab.params.find((spec) => spec.name === name)!, text);
  }
  return overrides;
}

function describeDevice(gpu: GpuContext): string[] {
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
function flopRate(gflops: number): string {
  return gflops >= 1000 ? `${(gflops / 1000).toPrecision(4)} TFLOP/s` : `${formatRate(gflops)} GFLOP/s`;
}

/** Runs the bench; resolves to the process exit code (0: every lab done and checked). */
export async function main(argv: string[], print: (line: string) => void = console.log): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseArgs(argv);
  } catch (error) {
    print((error as Error).message);
    return 2;
  }
  if (options.help) {
    print(USAGE);
    return 0;
  }
  const ids = Object.keys(labs);
  if (options.list) {
    for (const id of ids) print(`${id}\t${(await labs[id]!()).title}`);
    return 0;
  }
  const unknown = options.labs.filter((id) => !(id in labs));
  if (unknown.length > 0) {
    print(`unknown lab ${unknown.join(', ')}: the labs are ${ids.join(', ')}`);
    return 2;
  }
  const selected = await Promise.all((options.labs.length > 0 ? [...new Set(options.labs)] : ids).map((id) => labs[id]!()));
  let overrides: Map<string, Params>;
  try {
    overrides = overridesOf(selected.includes(probe) ? selected : [...selected, probe], options.sets);
  } catch (error) {
    print((error as Error).message);
    return 2;
  }
  const timing: TimingOptions = {
    warmup: options.warmup ?? (options.quick ? 1 : 3),
    reps: options.reps ?? (options.quick ? 3 : 20),
    // A datacenter GPU idles at a fraction of its clock (the H100 and H200 drop to 345 MHz): warm each point up
    // long enough for the clock to come back, not just for a few passes. After 0.3 s the H200's times for one
    // point still spread up to threefold (2026-12-04); after 1 s they repeated.
    ...(options.quick ? {} : { warmupSeconds: 1 }),
  };

  let gpu: GpuContext;
  try {
    gpu = await requestNodeGpu({ label: 'bench', flags: options.dawnFlags });
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
    // The ceilings, at the probe's sizes (its --set overrides and --quick apply).
    const probeParams = resolveParams(probe, overrides.get('probe'), options.quick);
    const refusal = refusalOf(probe, probeParams, gpu);
    if (refusal) {
      print(`probe: ${refusal}`);
      return 2;
    }
    const plan = planOf(settingsOf(probe, probeParams));
    const measured = await measureCeilingsDetailed(gpu, timing, plan);
    const { ceilings } = measured;
    print(
      `ceilings: copy ${formatRate(ceilings.copyGBps)} GB/s (${plan.copyBytes / 2 ** 20} MiB, ${measured.copy.timing.method}), ` +
        (ceilings.readGBps ? `read ${formatRate(ceilings.readGBps)} GB/s, ` : '') +
        `fp32 FMA ${flopRate(ceilings.fp32Gflops)}` +
        (ceilings.f16Gflops ? `, f16 FMA ${flopRate(ceilings.f16Gflops)}` : ', no f16') +
        (ceilings.f16MatrixGflops ? `, f16 matrix ${flopRate(ceilings.f16MatrixGflops)}` : ', no subgroup matrices') +
        (ceilings.launchSeconds !== undefined ? `, launch floor ${formatSeconds(ceilings.launchSeconds)}` : ''),
    );
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

    for (const lab of selected) {
      const params = resolveParams(lab, overrides.get(lab.id), options.quick);
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
