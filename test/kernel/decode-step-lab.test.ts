// The decode-step lab end to end on the test device at its quick size: a tiny Llama-shaped layer chained and checked,
// the output head checked, each judged by the work of the model's op graph, the whole step's tokens a second against
// its speed of light; real models refused by the device's limits with the buffer named, and models whose layer it does
// not build not offered.
import { describe, expect, it } from 'vitest';
import { labContext, testGpu } from './device';
import { decodeStep, unsupported } from '../../src/labs/decode-step';
import { measuredStep } from '../../src/labs/decode-step/ops';
import { refusalOf, resolveParams, runLab } from '../../src/labs/harness';
import { runRecordSchema, type RunRecord } from '../../src/schemas/results';
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
    expect(records.map((r) => r.variant)).toEqual(['layer', 'output head', 'QKV product', 'attention', 'output product', 'gate and up product', 'down product', 'RMSNorm', 'residual add', 'SiLU · up']);
    for (const record of records) expect(record.check.ok, record.variant).toBe(true);
    // Each kernel alone: judged by its ops of the graph, its time against the layer's.
    const kernels = records.slice(2);
    for (const kernel of kernels) expect(kernel.extra!['shareOfLayer']).toBeCloseTo(kernel.seconds.median / records[0]!.seconds.median, 9);
    // The QKV product's work: Q, K and V's f16 weights (256 × (256 + 64 + 64)), read once, and 2 FLOPs a weight a sequence.
    expect(kernels[0]!.flops).toBe(2 * 2 * 256 * 384);
    expect(kernels[0]!.bytes / (2 * 256 * 384)).toBeGreaterThan(1);
    expect(kernels[0]!.bytes / (2 * 256 * 384)).toBeLessThan(1.05);
    // Attention over 38 positions of 2 sequences × 8 query heads of 32.
    expect(kernels[1]!.flops).toBe(4 * 2 * 8 * 32 * 38);
    // The model's page reads the same records op by op: each kernel on its ops of the graph, the rest, the whole step.
    const measured = measuredStep(records)!;
    expect(measured.model).toBe('tiny');
    expect(measured.kernels.map((k) => `${k.ops.join(' ')} ×${k.runs}`)).toEqual([
      'q_proj k_proj v_proj ×1', 'attention ×1', 'o_proj ×1', 'gate_proj up_proj ×1', 'down_proj ×1', 'attn_norm mlp_norm ×2', 'attn_residual mlp_residual ×2', 'act_mul ×1',
    ]);
    // A norm's work: one of the layer's two, 256 values of 2 sequences read and written in f16 with its 256 weights.
    expect(kernels[5]!.flops).toBe(4 * 2 * 256);
    const alone = kernels.reduce((sum, record) => sum + record.seconds.median * (['RMSNorm', 'residual add'].includes(record.variant) ? 2 : 1), 0);
    expect(measured.restSeconds).toBeCloseTo(Math.max(0, records[0]!.seconds.median - alone), 12);
    expect(measured.step!.seconds).toBe(records[1]!.extra!['stepSeconds']);
    const step = records[1]!.extra!;
    expect(step['tokensPerSecond']).toBeCloseTo(2 / step['stepSeconds']!, 6);
    expect(step['stepSeconds']).toBeCloseTo(4 * records[0]!.seconds.median + records[1]!.seconds.median, 9);
    expect(records[0]!.extra!['layersChained']).toBe(4);
    // The tiny model (hidden 256, MLP 512, 8 query and 2 KV heads of 32, vocabulary 1024), two sequences at a context
    // of 37, worked by hand: a layer's weights are Q, K and V 256×384, O 256², gate and up 256×1024, down 512×256, in
    // f16; its cache 2 sequences × 2 heads × 38 positions × 32, K and V, in f16; the head's weights 256×1024.
    const [layer, head] = records as [RunRecord, RunRecord];
    const layerWeightBytes = 2 * (256 * 384 + 256 * 256 + 256 * 1024 + 512 * 256);
    const cacheBytes = 2 * 2 * 2 * 38 * 32 * 2;
    expect(layer.bytes / (layerWeightBytes + cacheBytes)).toBeGreaterThan(1);
    // The rest: the norms' weights and the activations between the ops, in f16.
    expect(layer.bytes / (layerWeightBytes + cacheBytes)).toBeLessThan(1.05);
    // Two FLOPs a weight a sequence, attention's 4·H·d a position a sequence, and the small ops' few.
    const layerFlops = 2 * 2 * (layerWeightBytes / 2) + 4 * 2 * 8 * 32 * 38;
    expect(layer.flops / layerFlops).toBeGreaterThan(1);
    expect(layer.flops / layerFlops).toBeLessThan(1.01);
    expect(head.bytes / (256 * 1024 * 2)).toBeGreaterThan(1);
    expect(head.bytes / (256 * 1024 * 2)).toBeLessThan(1.02);
    // The speed of light, as /models/ computes it: each op's own bound, the longer of its bytes at 1 GB/s and its FLOPs
    // at 1 GFLOP/s (the test's stand-in ceilings), summed; so at least the whole layer's longer one, at most both.
    const least = (record: RunRecord) => Math.max(record.bytes, record.flops) / 1e9;
    const most = (record: RunRecord) => (record.bytes + record.flops) / 1e9;
    const layerIdeal = layer.extra!['idealSeconds']!;
    expect(layerIdeal).toBeGreaterThanOrEqual(least(layer));
    expect(layerIdeal).toBeLessThanOrEqual(most(layer));
    const idealStep = 2 / head.extra!['speedOfLightTokensPerSecond']!;
    expect(idealStep - 4 * layerIdeal).toBeGreaterThanOrEqual(least(head) * (1 - 1e-12));
    expect(idealStep - 4 * layerIdeal).toBeLessThanOrEqual(most(head));
    expect(decodeStep.verdict!(records, 'your GPU')).toMatch(/^At a context of 37 tokens your GPU ran decode steps of a tiny Llama-shaped model at [\d.]+ tokens a second .*% of its speed of light here.* Timed alone at the layer's shapes, its kernels took .*together \d+% of the layer's time.* These sizes are tiny/);
  });

  it('refuses a model beyond the device\'s limits, naming the buffer, before anything runs', () => {
    const refusal = refusalOf(decodeStep, resolveParams(decodeStep, { model: 'llama-2-70b', weights: 'f32' }), { ...gpu!, limits: { ...gpu!.limits, maxStorageBufferBindingSize: 2 ** 28, maxBufferSize: 2 ** 28 } });
    expect(refusal).toMatch(/Llama-2-70B's .* beyond this device's/);
  });
});
