// One decoder layer's decode step (src/kernels/layer) against its f64 reference, at sizes that are not multiples of
// the kernels' workgroups: batches of 1 and 3, an odd context, f32 and f16 weights and caches, with and without a
// bias on q, k and v, grouped heads; and the output head.
import { describe, expect, it } from 'vitest';
import { createBufferFrom, createEmptyBuffer, readBuffer } from '../../src/kernels/gpu/buffers';
import { compare } from '../../src/kernels/gpu/check';
import { Random } from '../../src/kernels/gpu/random';
import { submitOnce } from '../../src/kernels/gpu/timing';
import { fillHashed } from '../../src/kernels/gpu/hashed';
import {
  cacheBytes,
  decodePlanOf,
  fillLayer,
  hashedPast,
  hashedRow,
  headProduct,
  layerProducts,
  layerRefusal,
  prepareDecodeLayer,
  prepareOutputHead,
  SEEDS,
  weightScale,
  type LayerShape,
} from '../../src/kernels/layer/layer';
import { decodeLayerReference, matVec, rmsNorm } from '../../src/kernels/layer/layer.reference';
import { bytesPerWeight } from '../../src/kernels/gemv/cost';
import { testGpu, withScopes } from './device';

const gpu = await testGpu();

const small: LayerShape = { batch: 1, hidden: 64, inner: 96, heads: 4, kvHeads: 2, headDim: 16, context: 37, weights: 'f32', kv: 'f32', qkvBias: false, ropeTheta: 10000 };
const VOCAB = 200;

describe('the layer\'s refusals', () => {
  it('names the buffer and the limit', () => {
    const llama = { ...small, hidden: 4096, inner: 14336, heads: 32, kvHeads: 8, headDim: 128, context: 4096, weights: 'f16' as const, kv: 'f16' as const };
    expect(layerRefusal({ maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 27, maxComputeWorkgroupsPerDimension: 65535, maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupStorageSize: 16384 }, llama, 128256, 'Llama-3-8B')).toMatch(
      /^Llama-3-8B's gate and up weights \(4096×28672 f16\) needs 224 MiB .*beyond this device's (maxBufferSize|maxStorageBufferBindingSize) of 128 MiB/,
    );
    expect(layerRefusal({}, { ...small, batch: 5 }, VOCAB, 'x')).toMatch(/1 to 4 sequences/);
  });
});

describe.skipIf(!gpu)('a decoder layer\'s decode step on the test device', () => {
  const { device } = gpu!;
  const version = gpu!.features.has('subgroups') ? 'subgroup' : 'workgroup';
  const cases: LayerShape[] = [
    small,
    { ...small, batch: 3, weights: 'f16', kv: 'f16', qkvBias: true },
    { ...small, batch: 2, kvHeads: 1, kv: 'f16', context: 100 },
  ];
  for (const shape of cases) {
    it(`B=${shape.batch}, context ${shape.context}, ${shape.weights} weights, ${shape.kv} cache${shape.qkvBias ? ', qkv bias' : ''}, ${shape.heads}/${shape.kvHeads} heads`, async () => {
      await withScopes(device, async () => {
        const random = new Random(shape.batch * 100 + shape.context);
        const products = layerProducts(shape);
        const x = random.fill(new Float32Array(shape.batch * shape.hidden), { kind: 'gaussian', mean: 0, std: 1 });
        const norms = { attention: random.fill(new Float32Array(shape.hidden), { kind: 'uniform', low: 0.5, high: 1.5 }), mlp: random.fill(new Float32Array(shape.hidden), { kind: 'uniform', low: 0.5, high: 1.5 }) };
        const bias = shape.qkvBias ? random.fill(new Float32Array(products.qkv.dOut), { kind: 'gaussian', mean: 0, std: 0.5 }) : new Float32Array(products.qkv.dOut);
        const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC;
        const weightBuffer = (name: keyof typeof products) => createEmptyBuffer(device, products[name].dIn * products[name].dOut * bytesPerWeight[shape.weights], storage, name);
        const buffers = {
          x: createBufferFrom(device, x, storage, 'x'),
          out: createEmptyBuffer(device, 4 * x.length, storage, 'out'),
          weights: { qkv: weightBuffer('qkv'), o: weightBuffer('o'), gateUp: weightBuffer('gateUp'), down: weightBuffer('down') },
          norms: { attention: createBufferFrom(device, norms.attention, storage, 'norm'), mlp: createBufferFrom(device, norms.mlp, storage, 'norm') },
          qkvBias: createBufferFrom(device, bias, storage, 'bias'),
          k: createEmptyBuffer(device, cacheBytes(shape), storage, 'k'),
          v: createEmptyBuffer(device, cacheBytes(shape), storage, 'v'),
        };
        fillLayer(device, shape, buffers);
        const layer = prepareDecodeLayer(device, shape, buffers, decodePlanOf(shape, version, gpu!.device.adapterInfo.subgroupMinSize ?? 4));
        try {
          submitOnce(device, (pass) => layer.encode(pass), 'test layer');
          const actual = new Float32Array(await readBuffer(device, buffers.out, 4 * x.length));
          const expected = await decodeLayerReference(shape, {
            x,
            row: (name, i) => hashedRow(products[name], SEEDS[name], i),
            norms,
            qkvBias: bias,
            past: (cache, b, kvHead, t) => hashedPast(shape, cache, b, kvHead, t),
          });
          // Errors against the largest output: f32 sums in another order, and the new K and V rounded to f16.
          const largest = expected.reduce((most, value) => Math.max(most, Math.abs(value)), 0);
          const result = compare(actual, expected, { tolerance: shape.kv === 'f16' ? 2e-3 : 1e-4, floor: largest });
          expect(result.ok, result.mismatches.join('\n')).toBe(true);
          // Not the input: the layer changed it.
          expect(compare(actual, x, { tolerance: 1e-3, floor: largest }).ok).toBe(false);
        } finally {
          layer.destroy();
          for (const buffer of [buffers.x, buffers.out, ...Object.values(buffers.weights), buffers.norms.attention, buffers.norms.mlp, buffers.qkvBias, buffers.k, buffers.v]) buffer.destroy();
        }
      });
    });
  }

  it('the output head: the final norm and the vocabulary product', async () => {
    await withScopes(device, async () => {
      const shape = { ...small, batch: 2 };
      const random = new Random(9);
      const x = random.fill(new Float32Array(shape.batch * shape.hidden), { kind: 'gaussian', mean: 0, std: 1 });
      const norm = random.fill(new Float32Array(shape.hidden), { kind: 'uniform', low: 0.5, high: 1.5 });
      const product = headProduct(shape, VOCAB);
      const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC;
      const weights = createEmptyBuffer(device, product.dIn * product.dOut * 4, storage, 'head');
      fillHashed(device, weights, product.dIn * product.dOut, 'f32', SEEDS.head, weightScale(product.dIn));
      const buffers = { x: createBufferFrom(device, x, storage, 'x'), norm: createBufferFrom(device, norm, storage, 'norm'), weights, logits: createEmptyBuffer(device, 4 * shape.batch * VOCAB, storage, 'logits') };
      const head = prepareOutputHead(device, shape, VOCAB, buffers);
      try {
        submitOnce(device, (pass) => head.encode(pass), 'test head');
        const actual = new Float32Array(await readBuffer(device, buffers.logits, 4 * shape.batch * VOCAB));
        const expected = await matVec(rmsNorm(x, norm, shape.batch, shape.hidden), shape.batch, shape.hidden, VOCAB, (i) => hashedRow(product, SEEDS.head, i));
        const result = compare(actual, expected, { tolerance: 1e-4, floor: 1 });
        expect(result.ok, result.mismatches.join('\n')).toBe(true);
      } finally {
        head.destroy();
        for (const buffer of Object.values(buffers)) buffer.destroy();
      }
    });
  });
});
