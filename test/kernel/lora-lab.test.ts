// The LoRA lab end to end on the test device through runLab (records in the form the reference results have), and
// what its family does beyond the conformance test: a version writing two results fails on either, and the cost
// model counts the dispatches the prepared chain records (split K included).
import { describe, expect, it } from 'vitest';
import { labContext, testGpu, withScopes } from './device';
import { versionOf } from '../../src/kernels/family';
import { stepsOf } from '../../src/kernels/lora/chain';
import { lora as loraFamily, type LoraShape } from '../../src/kernels/lora/index';
import { prepareChecked, resolveParams, runLab } from '../../src/labs/harness';
import { lora } from '../../src/labs/lora';
import { runRecordSchema } from '../../src/schemas/results';

const gpu = await testGpu();

describe.skipIf(!gpu)('the LoRA lab on the test device', () => {
  const ctx = () => labContext(gpu!);

  it('runs every order at one point, checked, with the base layer as the baseline of its figures', async () => {
    const outcome = await runLab(lora, ctx(), resolveParams(lora, { tokens: '3', rank: '4' }, true));
    expect(outcome.kind, 'message' in outcome ? outcome.message : '').toBe('done');
    const records = outcome.records.map((record) => runRecordSchema.parse(record));
    expect(records.map((record) => record.variant)).toEqual(['base', 'unmerged', 'fused', 'x(AB)', 'merge', 'merged', 'backward', 'backward, xᵀ·dY first']);
    expect(records.map((record) => record.extra!['steps'])).toEqual([1, 4, 2, 2, 2, 1, 3, 3]);
    const base = records[0]!;
    for (const record of records) {
      expect(record.check, record.variant).toMatchObject({ ok: true });
      expect(record.params).toEqual({ tokens: 3, dIn: 72, dOut: 40, rank: 4, dtype: 'f32', kernel: 'tiled' });
      expect(Object.keys(record.extra!)).toEqual(['flopsOverBase', 'timeOverBase', 'steps']);
      expect(record.extra!['timeOverBase']).toBeCloseTo(record.seconds.median / base.seconds.median, 9);
    }
    expect(base.extra).toMatchObject({ flopsOverBase: 1, timeOverBase: 1 });
    // x(AB) at T=3, d_in=72, d_out=40, r=4: AB is 2·72·40·4 = 23 040 FLOPs, then xW + x(AB) 2·3·40·144 = 34 560,
    // against the base layer's 2·3·72·40 = 17 280.
    expect(records[3]!.extra!['flopsOverBase']).toBeCloseTo(57_600 / 17_280, 12);
  });

  it.skipIf(gpu?.features.has('chromium-experimental-subgroup-matrix'))('refuses f16 without subgroup matrices before anything runs', async () => {
    const outcome = await runLab(lora, ctx(), resolveParams(lora, { dtype: 'f16' }, true));
    expect(outcome.kind).toBe('too-large');
    expect('message' in outcome && outcome.message).toMatch(/The base kernel at T=1, r=4: .*does not offer subgroup matrices/);
    expect(outcome.records).toHaveLength(0);
  });

  it("fails the backward pass's check when only its second result, dB, is wrong", async () => {
    const shape: LoraShape = { tokens: 5, dIn: 24, dOut: 20, rank: 3, scale: 2 };
    // The family with dB's reference off by a tenth of its largest value in its last entry.
    const wrongDB: typeof loraFamily = {
      ...loraFamily,
      resultsOf: (at, version, knobs) =>
        loraFamily.resultsOf!(at, version, knobs).map((result) =>
          result.name !== 'dB'
            ? result
            : {
                ...result,
                reference: async (inputs, where, rows) => {
                  const expected = await result.reference(inputs, where, rows);
                  expected[expected.length - 1]! += 0.1 * Math.max(...expected.map(Math.abs));
                  return expected;
                },
              },
        ),
    };
    await withScopes(gpu!.device, async () => {
      const checked = await prepareChecked(ctx(), 'lora test', wrongDB, shape, versionOf(loraFamily, 'backward'), {}, { seed: 5, what: 'backward' });
      checked.destroy();
      expect(checked.check.ok).toBe(false);
    });
  });

  it("counts the dispatches each prepared order records, K split in two where x·A's d_in is deep", async () => {
    const shape: LoraShape = { tokens: 6, dIn: 520, dOut: 24, rank: 3, scale: 2 };
    for (const version of loraFamily.versions.filter((candidate) => candidate.element === 'f32')) {
      await withScopes(gpu!.device, async () => {
        const checked = await prepareChecked(ctx(), 'lora test', loraFamily, shape, version, {}, { seed: 6, what: version.name });
        checked.destroy();
        expect(checked.check.ok, version.name).toBe(true);
        expect(checked.kernel.dispatches, version.name).toBe(loraFamily.cost(shape, version).dispatches);
      });
    }
    // xA (6×3, K=520) splits K in two: the fused order is more dispatches than steps.
    expect(loraFamily.cost(shape, versionOf(loraFamily, 'fused')).dispatches).toBeGreaterThan(stepsOf('fused', shape, 2).length);
  });
});
