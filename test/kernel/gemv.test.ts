// Every version of the GEMV kernel (src/kernels/gemv) against its CPU reference on random inputs, at shapes
// that are not multiples of the tiles and at sparsities 0, 0.5, 0.9 and 1, inside validation error scopes.
// f16 weights are widened with unpack2x16float (core WGSL), so they run on SwiftShader too.
import { describe, expect, it } from 'vitest';
import { testDevice, withScopes } from './device';
import { createBufferFrom, readBuffer } from '../../src/kernels/gpu/buffers';
import { compare } from '../../src/kernels/gpu/check';
import { Random } from '../../src/kernels/gpu/random';
import type { GemvShape } from '../../src/kernels/gemv/cost';
import { packWeights, planGemv, prepareGemv, type GemvPlan, type GemvVariant } from '../../src/kernels/gemv/gemv';
import { gemvReference, rms, sparseGemvReference, type PackedWeights } from '../../src/kernels/gemv/gemv.reference';
import { keptRows, thresholdFor } from '../../src/kernels/gemv/sparsity';

const device = await testDevice();

async function runOnGpu(d: GPUDevice, variant: GemvVariant, shape: GemvShape, plan: GemvPlan, weights: PackedWeights, x: Float32Array, threshold: number) {
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC;
  const weightsBuffer = createBufferFrom(d, weights.data, GPUBufferUsage.STORAGE, 'test Wᵀ');
  const xBuffer = createBufferFrom(d, x, GPUBufferUsage.STORAGE, 'test x');
  // y starts as NaN, so an output the kernel never writes fails the check.
  const y = createBufferFrom(d, new Float32Array(shape.batch * shape.dOut).fill(NaN), usage, 'test y');
  const gemv = prepareGemv(d, variant, shape, plan, { weights: weightsBuffer, x: xBuffer, y }, threshold);
  const encoder = d.createCommandEncoder({ label: 'gemv test' });
  const pass = encoder.beginComputePass({ label: 'gemv test' });
  gemv.encode(pass);
  pass.end();
  d.queue.submit([encoder.finish()]);
  const result = new Float32Array(await readBuffer(d, y, shape.batch * shape.dOut * 4));
  gemv.destroy();
  for (const buffer of [weightsBuffer, xBuffer, y]) buffer.destroy();
  return result;
}

function inputs(shape: GemvShape, seed: number, distribution: 'gaussian' | 'laplace' = 'gaussian') {
  const random = new Random(seed);
  const weights = packWeights(shape, () => random.gaussian(0, 1));
  const x = new Float32Array(shape.batch * shape.dIn);
  random.fill(x, distribution === 'gaussian' ? { kind: 'gaussian', mean: 0, std: 1 } : { kind: 'laplace', location: 0, scale: 1 });
  return { weights, x };
}

/** Runs one version and checks it against the reference; returns the GPU output. */
async function check(variant: GemvVariant, shape: GemvShape, sparsity: number, seed: number, plan?: GemvPlan) {
  const d = device!;
  const { weights, x } = inputs(shape, seed, seed % 2 ? 'laplace' : 'gaussian');
  const threshold = variant === 'sparse' ? thresholdFor(x, sparsity) : -1;
  const chosen = plan ?? planGemv(shape, variant);
  const expected = sparseGemvReference(weights, x, shape, threshold);
  const actual = await withScopes(d, () => runOnGpu(d, variant, shape, chosen, weights, x, threshold));
  // Outputs near zero are judged against the dense output's scale; f32 sums of ~1000 terms stay far under 1e-4.
  const scale = rms(gemvReference(weights, x, shape));
  const result = compare(actual, expected, { tolerance: 1e-4, floor: scale });
  expect(result.mismatches, `${variant} ${JSON.stringify(shape)} sparsity ${sparsity} plan ${JSON.stringify(chosen)}`).toEqual([]);
  return { actual, x, threshold };
}

describe.skipIf(!device)('gemv kernels on the test device', () => {
  const shape: GemvShape = { dIn: 1000, dOut: 3000, batch: 1, weights: 'f32' };

  it('dense f32, 1000×3000, batch 1', async () => {
    await check('dense', shape, 0, 1);
  });

  it.each([0, 0.5, 0.9, 1])('sparse f32, 1000×3000, batch 1, sparsity %s', async (sparsity) => {
    const { actual } = await check('sparse', shape, sparsity, 10 + sparsity * 10);
    if (sparsity === 1) expect(Array.from(actual).every((value) => value === 0)).toBe(true);
  });

  it('dense and sparse f32, 1001×3001 (d_out not a whole word), batch 3', async () => {
    const odd: GemvShape = { dIn: 1001, dOut: 3001, batch: 3, weights: 'f32' };
    await check('dense', odd, 0, 3);
    await check('sparse', odd, 0.5, 4);
  });

  it('dense and sparse f16 weights, 1000×3000 and d_out 3003, batches 1 and 2', async () => {
    await check('dense', { dIn: 1000, dOut: 3000, batch: 1, weights: 'f16' }, 0, 5);
    await check('sparse', { dIn: 1000, dOut: 3003, batch: 2, weights: 'f16' }, 0.9, 6);
    await check('sparse', { dIn: 1000, dOut: 3000, batch: 1, weights: 'f16' }, 1, 7);
  });

  it('other plans: 1 to 32 lanes, one split (no reduce), splits shorter and longer than a workgroup, batch 4', async () => {
    const small: GemvShape = { dIn: 997, dOut: 263, batch: 4, weights: 'f32' };
    const rowWords = Math.ceil(small.dOut / 4);
    const plans: GemvPlan[] = [
      { words: 64, lanes: 1, rowWords, rowsPerSplit: 997, splits: 1, unroll: 4 },
      { words: 64, lanes: 4, rowWords, rowsPerSplit: 301, splits: 4, unroll: 4 },
      { words: 16, lanes: 4, rowWords, rowsPerSplit: 7, splits: 143, unroll: 4 },
      { words: 8, lanes: 32, rowWords, rowsPerSplit: 997, splits: 1, unroll: 4 },
    ];
    for (const [index, plan] of plans.entries()) {
      await check('dense', small, 0, 20 + index, plan);
      await check('sparse', small, 0.5, 30 + index, plan);
    }
  });

  it('sparse with a split longer than one round of the list (2048 rows): rounds are read and refilled', async () => {
    const long: GemvShape = { dIn: 2500, dOut: 203, batch: 1, weights: 'f32' };
    const plan: GemvPlan = { words: 32, lanes: 8, rowWords: Math.ceil(203 / 4), rowsPerSplit: 2500, splits: 1, unroll: 4 };
    await check('sparse', long, 0, 50, plan);
    await check('sparse', long, 0.05, 51, plan);
  });

  it('sparse at 50% keeps exactly half the rows at batch 1', async () => {
    const { x, threshold } = await check('sparse', shape, 0.5, 40);
    expect(keptRows(x, 1, shape.dIn, threshold)).toBe(500);
  });
});
