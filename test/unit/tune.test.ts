// `npm run tune`'s command line: every mistake is refused with one line and exit 2 before a GPU is asked for, and
// the sweep's space is the product of the knobs' values, narrowed by --knob.
import { describe, expect, it, vi } from 'vitest';
import { MAX_VARIANTS, parseTuneArgs, resolveTune, tune, TUNE_USAGE } from '../../bench/tune';
import { gemm } from '../../src/kernels/gemm/index';

async function run(argv: string[]) {
  const lines: string[] = [];
  const requestGpu = vi.fn(() => Promise.reject(new Error('no adapter in this test')));
  const rc = await tune(argv, (line) => lines.push(line), { requestGpu });
  return { rc, lines, requested: requestGpu.mock.calls.length };
}

describe('tune arguments', () => {
  it('documents the sweep in --help', async () => {
    const { rc, lines } = await run(['--help']);
    expect(rc).toBe(0);
    expect(lines).toEqual([TUNE_USAGE]);
    for (const flag of ['--family', '--shape', '--knob', '--version', '--json', '--list']) expect(TUNE_USAGE).toContain(flag);
  });

  it('lists each family with its versions and their knobs', async () => {
    const { rc, lines } = await run(['--list']);
    expect(rc).toBe(0);
    expect(lines).toContain('  tiled: tiled, f32; knobs: bk=8,16');
  });

  it('sweeps the product of the knobs a version has, narrowed where --knob says', () => {
    const all = resolveTune(parseTuneArgs(['--family', 'gemm', '--shape', 'm=64']));
    // naive: 1; tiled: bk 2 values; matrix: 3 × 3 × 3 × 3 × 3, copied or staged.
    expect(all.variants.length).toBe(1 + 2 + 243 * 2);
    expect(all.shape).toEqual({ m: 64, n: 64, k: 64, batch: 1 });
    const narrowed = resolveTune(parseTuneArgs(['--family', 'gemm', '--version', 'matrix', '--knob', 'bk=32', '--knob', 'sgM=1,2', '--shape', 'm=8,n=16,k=32']));
    expect(narrowed.variants.length).toBe(2 * 3 * 3 * 3 * 2);
    expect(narrowed.variants.every(({ knobs }) => knobs['bk'] === 32 && [1, 2].includes(knobs['sgM']!))).toBe(true);
    // The defaults come first: the family's own choice is always the first variant of its version.
    expect(narrowed.variants[0]!.knobs).toEqual({ bk: 32, sgM: 1, sgN: 2, fragM: 4, fragN: 4, copy: 1 });
    expect(resolveTune(parseTuneArgs(['--family', 'gemm', '--version', 'tiled', '--shape', 'm=8'])).variants.map(({ knobs }) => knobs)).toEqual([{ bk: 8 }, { bk: 16 }]);
  });

  it.each([
    [['--shape', 'm=8'], /^--family is needed: one of .*\bgemm\b/],
    [['--family', '__proto__', '--shape', 'm=8'], /^unknown family __proto__: the families are .*\bgemm\b/],
    [['--family', 'gemm'], '--shape is needed, e.g. m=33,n=17,k=65'],
    [['--family', 'gemm', '--shape', 'm=big'], '--shape m=big: expected NAME=NUMBER entries separated by commas; "m=big" is not one'],
    [['--family', 'gemm', '--shape', 'n=8'], '--shape n=8: a GEMM shape takes m, and n, k and batch (n and k default to m)'],
    [['--family', 'gemm', '--version', 'fast', '--shape', 'm=8'], 'gemm has no version fast: its versions are naive, tiled, matrix'],
    [['--family', 'gemm', '--version', 'tiled', '--knob', 'bk=12', '--shape', 'm=8'], '--knob: tiled, f32: bk takes 8, 16; received 12'],
    [['--family', 'gemm', '--version', 'tiled', '--knob', 'sgM=1', '--shape', 'm=8'], '--knob sgM: no selected version of gemm has such a knob (--list shows them)'],
    [['--family', 'gemm', '--knob', 'bk', '--shape', 'm=8'], '--knob bk: expected NAME=V1,V2,...'],
    [['--family', 'gemm', '--knob', 'constructor=1', '--shape', 'm=8'], '--knob constructor: no selected version of gemm has such a knob (--list shows them)'],
    [['--family', 'gemm', '--knob', '__proto__=1', '--shape', 'm=8'], '--knob __proto__: no selected version of gemm has such a knob (--list shows them)'],
    [['--family', 'gemm', '--shape', 'm=8', '--reps', '100000000'], '--reps takes a whole number from 1 to 1000; received "100000000"'],
    [['--family', 'gemm', '--shape', 'm=8', '--json', '/proc/nope/x.json'], '--json /proc/nope/x.json: there is no folder /proc/nope to write it in'],
    [['--family', 'gemm', '--shape', 'm=8', '--fast'], 'unknown option --fast: --help lists the options'],
  ])('%j exits 2 with one line saying what is wrong, before asking for a GPU', async (argv, message) => {
    const { rc, lines, requested } = await run(argv);
    expect(rc).toBe(2);
    expect(lines).toEqual([typeof message === 'string' ? message : expect.stringMatching(message)]);
    expect(requested).toBe(0);
  });

  it(`refuses a sweep of more than ${MAX_VARIANTS} variants, and asks for the GPU once all is fine`, async () => {
    const wide = { ...gemm, versions: [{ ...gemm.versions[1]!, knobs: { bk: [...Array(40).keys()], other: [...Array(20).keys()] } }] };
    const lines: string[] = [];
    const requestGpu = vi.fn(() => Promise.reject(new Error('no adapter in this test')));
    expect(await tune(['--family', 'gemm', '--shape', 'm=8'], (line) => lines.push(line), { requestGpu, families: { gemm: wide } })).toBe(2);
    expect(lines).toEqual([`the sweep has 800 variants, more than ${MAX_VARIANTS}: narrow it with --version or --knob`]);
    expect(requestGpu).not.toHaveBeenCalled();
    expect(await run(['--family', 'gemm', '--shape', 'm=8', '--version', 'tiled'])).toEqual({ rc: 1, lines: ['no GPU: no adapter in this test'], requested: 1 });
  });
});
