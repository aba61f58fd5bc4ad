// The bench as CI runs it: bundled into one file, run on SwiftShader with --quick, its results file checked.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { main, overridesOf, parseArgs } from '../../bench/main';
import { formatTable } from '../../bench/table';
import { makeRecord } from '../../src/labs/record';
import { probe } from '../../src/labs/probe';
import { teal } from '../../src/labs/teal';
import { DEVICE_NAME_MAX_LENGTH, resultsFileSchema } from '../../src/schemas/results';
import { bundleBench } from '../../scripts/bundle-bench.mjs';

const run = promisify(execFile);

describe('bench arguments', () => {
  it('reads repeated labs, sets, quick and the JSON path', () => {
    expect(parseArgs(['--quick', '--lab', 'probe', '--lab=teal', '--set', 'copyMiB=8', '--json', 'out.json', '--reps', '5', '--dawn-flag', 'backend=vulkan', '--gpu-name', 'NVIDIA H200'])).toEqual({
      list: false,
      help: false,
      quick: true,
      labs: ['probe', 'teal'],
      sets: ['copyMiB=8'],
      json: 'out.json',
      reps: 5,
      dawnFlags: ['backend=vulkan'],
      gpuName: 'NVIDIA H200',
    });
  });

  it('refuses what it does not know, saying what', () => {
    expect(() => parseArgs(['--fast'])).toThrow(/unknown option --fast/);
    expect(() => parseArgs(['--json'])).toThrow('--json needs a value');
    expect(() => parseArgs(['--reps', 'many'])).toThrow('--reps takes a whole number from 1 to 1000; received "many"');
    expect(() => parseArgs(['--gpu-name='])).toThrow('--gpu-name needs a value');
  });

  it('applies --set to the labs that have the parameter, parsed by its kind', () => {
    expect(overridesOf([probe], ['copyMiB=8', 'probe.sweepKiB=64,128']).get('probe')).toEqual({ copyMiB: 8, sweepKiB: '64,128' });
    expect(() => overridesOf([probe], ['sparsity=0.5'])).toThrow('--set sparsity=0.5: no selected lab has a parameter sparsity');
    expect(() => overridesOf([probe], ['copyMiB=big'])).toThrow('--set copyMiB=big: Copy size takes a whole number; received "big"');
  });
});

describe('a mistake on the bench\'s command line', () => {
  /** Runs main with a GPU request that only counts: a mistake must be refused before it is made. */
  async function bench(argv: string[]) {
    const lines: string[] = [];
    const requestGpu = vi.fn(() => Promise.reject(new Error('no adapter in this test')));
    const rc = await main(argv, (line) => lines.push(line), { requestGpu });
    return { rc, lines, requested: requestGpu.mock.calls.length };
  }

  it('asks for the GPU once every argument is fine (so the refusals below are made before it)', async () => {
    expect(await bench(['--lab', 'gemm', '--quick', '--set', 'gemm.size=64', '--json', join(tmpdir(), 'out.json')])).toEqual({
      rc: 1,
      lines: ['no GPU: no adapter in this test'],
      requested: 1,
    });
  });

  it.each([
    [['--lab', 'gemm', '--quick', '--json', '/proc/nope/x.json'], '--json /proc/nope/x.json: there is no folder /proc/nope to write it in'],
    [['--json', tmpdir()], `--json ${tmpdir()} is a folder: name a file in it`],
    [['--lab', '__proto__'], /^unknown lab __proto__: the labs are probe, teal, /],
    [['--lab', 'constructor'], /^unknown lab constructor: the labs are probe, teal, /],
    [['--reps', '100000000'], '--reps takes a whole number from 1 to 1000; received "100000000"'],
    [['--reps', '0'], '--reps takes a whole number from 1 to 1000; received "0"'],
    [['--warmup', '101'], '--warmup takes a whole number from 0 to 100; received "101"'],
    [['--set', 'gemm.size=99999999'], 'gemm: Sizes (n) must be at most 16384; received 99999999'],
    [['--set', 'versions=__proto__'], /^gemm: Versions must be one of .*; received __proto__$/],
    [['--lab', 'gemm', '--set', 'copyMiB=0'], 'probe: Copy size must be at least 1 MiB; received 0'],
    [['--lab', 'gemm', '--set', 'probe.fmaIterations=65'], 'probe: FMA steps must be a multiple of 64; received 65'],
    [['--set', '__proto__=1'], '--set __proto__=1: no selected lab has a parameter __proto__'],
    [['--set', 'gemm.constructor=1'], '--set gemm.constructor=1: no selected lab called gemm has a parameter constructor'],
    [['--gpu-name', 'x'.repeat(300)], `--gpu-name takes at most ${DEVICE_NAME_MAX_LENGTH} characters; received 300`],
    [['--fast'], 'unknown option --fast: --help lists the options'],
  ])('%j exits 2 with one line saying what is wrong, before asking for a GPU', async (argv, message) => {
    const { rc, lines, requested } = await bench(argv);
    expect(rc).toBe(2);
    expect(lines).toEqual([typeof message === 'string' ? message : expect.stringMatching(message)]);
    expect(requested).toBe(0);
  });
});

describe('the bench table', () => {
  it('prints the page\'s columns in the page\'s words, the folded rest last', () => {
    const timing = { seconds: { median: 12.5e-6, p10: 12e-6, p90: 13e-6, n: 20 }, method: 'timestamp' as const };
    const record = makeRecord({
      lab: 'teal',
      variant: 'sparse',
      params: { sparsity: 90 },
      timing,
      flops: 1e6,
      bytes: 18e6,
      ceilings: { copyGBps: 3000, fp32Gflops: 60_000 },
      check: { maxRelError: 3e-7, ok: true },
      unit: 'fp32',
      extraDispatches: 1,
      extra: { speedup: 5.0512, keptRows: 410, relError: 0.28734 },
    });
    const [header, row] = formatTable([record], { labels: teal }).split('\n');
    expect(header).toMatch(/^Variant +Point +Time +Achieved +Of bound +Check +More$/);
    // The page's columns and words, one more digit of time, and what the page folds at the end of the line.
    expect(row).toMatch(/^sparse +Sparsity 90 % +12\.50 µs +1\.44 TB\/s +.*ok \(error 3\.0e-7\) +Time, 10th to 90th percentile: 12\.0 µs to 13\.0 µs over 20 runs; .*Speedup over dense \(×\): 5\.051; Rows of Wᵀ read: 410; Output error ‖Δy‖\/‖y‖: 0\.2873$/);
  });
});

describe('npm run bench -- --quick --lab probe --json FILE', () => {
  it('writes a results file that passes the schema, finding SwiftShader itself', async (ctx) => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-'));
    const bundle = await bundleBench(join(dir, 'bench.mjs'));
    const out = join(dir, 'out.json');
    // Dawn's addon from $DAWN_NODE, as on a GPU machine without node_modules (the bundle lives outside the project here);
    // VK_ICD_FILENAMES and XDG_RUNTIME_DIR unset, as the README's command runs on a fresh machine.
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DAWN_NODE: join(process.cwd(), 'node_modules/webgpu/dist', `${process.platform}-${process.arch}`, 'dawn.node'),
    };
    delete env['VK_ICD_FILENAMES'];
    delete env['XDG_RUNTIME_DIR'];
    const { stdout: list } = await run(process.execPath, [bundle, '--list'], { env });
    expect(list).toMatch(/^probe\t/m);
    const result = await run(process.execPath, [bundle, '--quick', '--lab', 'probe', '--json', out], { env }).catch((error: { stdout?: string; stderr?: string; code?: number }) => error);
    if ('code' in result && result.stdout?.includes('no GPU: no WebGPU adapter')) return ctx.skip('no WebGPU adapter (install chromium and libvulkan1)');
    expect(result.stdout).toMatch(/timestamp vs submit|no timestamp-query/);
    // A software adapter is said to be one, once, and nothing is printed as if a CPU's speeds were a GPU's.
    const stdout = result.stdout ?? '';
    expect(stdout.match(/software adapter/g) ?? []).toHaveLength(/architecture swiftshader/.test(stdout) ? 1 : 0);
    expect(stdout).not.toMatch(/ 0\.0 GB\/s|\(above!\)/);
    expect(result.stderr ?? '').not.toMatch(/XDG_RUNTIME_DIR|Warning/);
    const file = resultsFileSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    expect(file.records.map((record) => record.variant)).toContain('copy');
    expect(file.records.every((record) => record.check.ok)).toBe(true);
    expect(file.ceilings?.copyGBps).toBeGreaterThan(0);
    expect(file.runtime).toMatch(/^node v22.* \+ dawn/);
    // Named as data: SwiftShader describes itself, so the adapter's words stand where no --gpu-name is given.
    expect(file.device.name).toMatch(/SwiftShader|\w/);
  });
});
