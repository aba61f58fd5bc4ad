// The decode-step lab end to end on the test device at its quick size: a tiny Llama-shaped layer chained and checked,
// the output head checked, the whole step's tokens a second against its speed of light; real models refused by the
// device's limits with the buffer named, and models whose layer it does not build not offered.
import { describe, expect, it } from 'vitest';
import { labContext, testGpu } from './device';
import { decodeStep, unsupported } from '../../src/labs/decode-step';
import { refusalOf, resolveParams, runLab } from '../../src/labs/harness';
import { runRecordSchema } from '../../src/schemas/results';
import { modelById } from '../../src/data/models';

const gpu = await testGpu();

describe('the decode-step lab\'s models', () => {
  it('builds the Llama family and says why not the rest', () => {
    expect(unsupported(modelById('llama-3-8b')!)).toBeNull();
    expect(unsupported(modelById('qwen2.5-7b')!)).toBeNull();
    expect(unsupported(modelById('mixtral-8x7b')!)).toMatch(/mixture of experts/);
    expect(unsupported(modelById('gpt-2')!)).toMatch(/norms|SiLU|bias|rotary/);
    expect(unsupported(modelById('bert-base')!)).toMatch(/encoder/);
    const offered = (decodeStep.params.find((p) => p.name === 'model') as { choices: readonly { value: string }[] }).choices.map((c) => c.value);
    expect(offered).toContain('llama-2-70b');
    expect(offered).not.toContain('gemma-2-9b');
  });
});

describe.skipIf(!gpu)('decode-step lab on the test device', () => {
  const ctx = () => labContext(gpu!);

  it('runs its quick sweep checked, and says the tokens a second against the speed of light', async () => {
    const outcome = await runLab(decodeStep, ctx(), resolveParams(decodeStep, {}, true));
    expect(outcome.kind, 'message' in outcome ? outcome.message : '').toBe('done');
    const records = outcome.records.map((record) => runRecordSchema.parse(record));
    expect(records.map((r) => r.variant)).toEqual(['layer', 'output head']);
    for (const record of records) expect(record.check.ok).toBe(true);
    const head = records[1]!.extra!;
    expect(head['tokensPerSecond']).toBeCloseTo(2 / head['stepSeconds']!, 6);
    expect(head['stepSeconds']).toBeCloseTo(4 * records[0]!.seconds.median + records[1]!.seconds.median, 9);
    expect(records[0]!.extra!['layersChained']).toBe(4);
    expect(decodeStep.verdict!(records, 'your GPU')).toMatch(/^your GPU ran decode steps of a tiny Llama-shaped model at [\d.]+ tokens a second .*% of its speed of light/);
  });

  it('refuses a model beyond the device\'s limits, naming the buffer, before anything runs', () => {
    const refusal = refusalOf(decodeStep, resolveParams(decodeStep, { model: 'llama-2-70b', weights: 'f32' }), { ...gpu!, limits: { ...gpu!.limits, maxStorageBufferBindingSize: 2 ** 28, maxBufferSize: 2 ** 28 } });
    expect(refusal).toMatch(/Llama-2-70B's .* beyond this device's/);
  });
});
