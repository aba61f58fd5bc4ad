// A sweep on the test device (SwiftShader in CI): the tiled f32 GEMM's knobs, each variant checked at the family's
// small odd shapes and at the target before it is timed; a variant whose output is wrong is never timed.
import { describe, expect, it } from 'vitest';
import { parseTuneArgs, resolveTune, sweep } from '../../bench/tune';
import { gemm } from '../../src/kernels/gemm/index';
import { labContext, testGpu, withScopes } from './device';

const gpu = await testGpu();

describe.skipIf(!gpu)('a tune sweep on the test device', () => {
  it('checks every variant of the tiled GEMM at every example and the target shape before timing it', async () => {
    const run = resolveTune(parseTuneArgs(['--family', 'gemm', '--version', 'tiled', '--shape', 'm=40,n=36,k=24', '--quick']));
    const outcomes = await withScopes(gpu!.device, () => sweep(labContext(gpu!), { ...run, timing: { warmup: 1, reps: 2 } }, () => {}));
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['timed', 'timed']);
    for (const outcome of outcomes) {
      if (outcome.kind !== 'timed') continue;
      expect(outcome.record.check.ok).toBe(true);
      expect(outcome.checkedAt).toBe(gemm.examples.length + 1);
      expect(outcome.record.seconds.median).toBeGreaterThan(0);
    }
    // Ranked fastest first.
    const times = outcomes.map((outcome) => (outcome.kind === 'timed' ? outcome.record.seconds.median : Infinity));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('never times a variant that fails its check, and says where it failed', async () => {
    // The same kernels against a reference that is off by a tenth: every check must fail.
    const wrong = { ...gemm, reference: async (...args: Parameters<typeof gemm.reference>) => (await gemm.reference(...args)).map((value) => value * 1.1) };
    const run = resolveTune(parseTuneArgs(['--family', 'gemm', '--version', 'tiled', '--knob', 'bk=8', '--shape', 'm=40,n=36,k=24']), { gemm: wrong });
    const outcomes = await withScopes(gpu!.device, () => sweep(labContext(gpu!), { ...run, timing: { warmup: 1, reps: 2 } }, () => {}));
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ kind: 'check-failed', at: JSON.stringify(gemm.examples[0]) });
  });
});
