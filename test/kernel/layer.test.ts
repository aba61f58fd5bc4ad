// The decoder layer and output head families (src/kernels/layer) beyond the conformance test, which checks each
// version at the families' small shapes: refusals that name the buffer and the limit, a chain of layers that feeds
// each the one before's output, and the cost of a Llama-3-8B layer and head against numbers worked by hand from its
// published shapes.
import { describe, expect, it } from 'vitest';
import { readBuffer } from '../../src/kernels/gpu/buffers';
import { compare } from '../../src/kernels/gpu/check';
import { Random } from '../../src/kernels/gpu/random';
import { submitOnce } from '../../src/kernels/gpu/timing';
import { versionOf } from '../../src/kernels/family';
import { layer, layerVersionName, outputHead, type DecodeStepShape } from '../../src/kernels/layer/index';
import { hashedPast, hashedRow, layerProducts, layerRefusal, SEEDS, type LayerShape } from '../../src/kernels/layer/layer';
import { decodeLayerReference } from '../../src/kernels/layer/layer.reference';
import { familyDeviceOf, Resources } from '../../src/labs/harness';
import { testGpu, withScopes } from './device';

const gpu = await testGpu();

/** Llama-3-8B's published shapes (config.json): hidden 4096, MLP 14336, 32 query heads and 8 KV heads of 128. */
const llama: DecodeStepShape = { batch: 1, hidden: 4096, inner: 14336, heads: 32, kvHeads: 8, headDim: 128, context: 4096, weights: 'f16', qkvBias: false, ropeTheta: 500000, vocab: 128256, chained: 1 };
const small: DecodeStepShape = { batch: 2, hidden: 64, inner: 96, heads: 4, kvHeads: 2, headDim: 16, context: 37, weights: 'f32', qkvBias: true, ropeTheta: 10000, vocab: 200, chained: 2 };
const limits = { maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 27, maxComputeWorkgroupsPerDimension: 65535, maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupStorageSize: 16384 };

describe('the layer\'s refusals', () => {
  it('names the buffer and the limit', () => {
    expect(layerRefusal(limits, { ...llama, kv: 'f16' }, 'Llama-3-8B')).toMatch(
      /^Llama-3-8B's gate and up weights \(4096×28672 f16\) needs 224 MiB .*beyond this device's (maxBufferSize|maxStorageBufferBindingSize) of 128 MiB/,
    );
    expect(layerRefusal({}, { ...small, kv: 'f32', batch: 9 }, 'x')).toMatch(/1 to 8 sequences/);
    const device = { features: new Set<string>(), limits };
    expect(layer.refusal(device, small, versionOf(layer, 'subgroup-f32'), {})).toMatch(/offers no subgroups/);
    expect(layer.refusal(device, { ...small, chained: 5 }, versionOf(layer, 'workgroup-f32'), {})).toMatch(/1 to 4 layers/);
    expect(outputHead.refusal(device, { ...small, vocab: 201 }, outputHead.versions[0]!, {})).toMatch(/vocabulary of 201/);
    expect(outputHead.refusal(device, llama, outputHead.versions[0]!, {})).toMatch(/^this model's output head \(4096×128256 f16\) needs 1002 MiB/);
  });
});

describe('the cost of a Llama-3-8B decode step, by hand', () => {
  // Weights of a layer: Q 4096², K and V 4096×1024 each, O 4096², gate, up and down 4096×14336 each.
  const layerWeights = 4096 * 4096 + 2 * 4096 * 1024 + 4096 * 4096 + 3 * 4096 * 14336;
  // K and V of 4097 positions (the cache and the new token), 8 heads of 128, in f16.
  const cacheBytes = 2 * 4097 * 8 * 128 * 2;

  it('reads every weight of the layer and its cache once, and does two FLOPs a weight and attention\'s 4·H·d a position', () => {
    expect(layerWeights).toBe(218_103_808);
    // 32 layers, the embedding and the head (128256 × 4096 each), the norms: the published 8.03 billion.
    expect(((32 * (layerWeights + 2 * 4096) + 2 * 128256 * 4096 + 4096) / 1e9).toFixed(2)).toBe('8.03');
    const cost = layer.cost(llama, versionOf(layer, 'subgroup-f16'));
    expect(cost.bytes - (2 * layerWeights + cacheBytes)).toBeGreaterThan(0);
    // The rest is the activations between the kernels: under 0.1%.
    expect(cost.bytes / (2 * layerWeights + cacheBytes)).toBeLessThan(1.001);
    const flops = 2 * layerWeights + 4 * 32 * 128 * 4097;
    expect(cost.flops / flops).toBeGreaterThan(1);
    expect(cost.flops / flops).toBeLessThan(1.001);
    expect(cost.runs).toBe(1);
  });

  it('reads the head\'s 128256 × 4096 f16 weights once', () => {
    const cost = outputHead.cost(llama, outputHead.versions[0]!);
    expect(cost.bytes / (128256 * 4096 * 2)).toBeGreaterThan(1);
    expect(cost.bytes / (128256 * 4096 * 2)).toBeLessThan(1.001);
    expect(cost.flops / (2 * 128256 * 4096)).toBeCloseTo(1, 6);
  });
});

describe.skipIf(!gpu)('a chain of layers on the test device', () => {
  it('feeds each layer the one before\'s output: the second layer\'s output is the reference applied to the first\'s', async () => {
    const { device } = gpu!;
    const version = versionOf(layer, layerVersionName(gpu!.features.has('subgroups') ? 'subgroup' : 'workgroup', 'f32'));
    expect(layer.refusal(familyDeviceOf(gpu!), small, version, {})).toBeNull();
    await withScopes(device, async () => {
      const resources = new Resources({ gpu: gpu! }, 'layer test');
      try {
        const inputs = layer.inputs(small, new Random(3), version);
        const buffers = layer.buffers(resources, small, inputs, version, {});
        const kernel = resources.own(layer.prepare(device, small, buffers, version, {}));
        expect(kernel.dispatches).toBe(2 * layer.cost(small, version).dispatches);
        submitOnce(device, (pass) => kernel.encode(pass), 'layer chain');
        const bytes = 4 * small.batch * small.hidden;
        const first = new Float32Array(await readBuffer(device, buffers['out 0']!, bytes));
        const second = new Float32Array(await readBuffer(device, buffers['out 1']!, bytes));
        const shape: LayerShape = { ...small, kv: 'f32' };
        const products = layerProducts(shape);
        const expected = await decodeLayerReference(shape, {
          x: first,
          row: (name, i) => hashedRow(products[name], SEEDS[name], i),
          norms: inputs.norms,
          qkvBias: inputs.qkvBias,
          past: (cache, b, kvHead, t) => hashedPast(shape, cache, b, kvHead, t),
        });
        const floor = expected.reduce((most, value) => Math.max(most, Math.abs(value)), 0);
        const result = compare(second, expected, { tolerance: 1e-4, floor });
        expect(result.ok, result.mismatches.join('\n')).toBe(true);
        // Not its input: the layer changed it.
        expect(compare(second, first, { tolerance: 1e-3, floor }).ok).toBe(false);
      } finally {
        resources.destroy();
      }
    });
  });
});
