// The GEMV kernel (src/kernels/gemv) beyond what the conformance test checks of every version at the family's
// examples: a sparsity that drops every row, workgroup plans no knob reaches (1 to 32 lanes, 143 splits, a split
// longer than one round of the survivor list), the rows kept at 50%, and the family's runs cycling through copies
// of Wᵀ and x, each pair with its own threshold. Inside validation error scopes, on random inputs.
import { describe, expect, it } from 'vitest';
import { labContext, testGpu, withScopes } from './device';
import { createBufferFrom, readBuffer } from '../../src/kernels/gpu/buffers';
import { compare } from '../../src/kernels/gpu/check';
import { Random } from '../../src/kernels/gpu/random';
import { submitOnce } from '../../src/kernels/gpu/timing';
import type { GemvShape } from '../../src/kernels/gemv/cost';
import { packWeights, planGemv, prepareGemv, type GemvPlan, type GemvVariant } from '../../src/kernels/gemv/gemv';
import { hashedGemvReference, rms, sparseGemvReference, type PackedWeights } from '../../src/kernels/gemv/gemv.reference';
import { gemv, type SparseGemvShape } from '../../src/kernels/gemv/index';
import { keptRows, thresholdFor } from '../../src/kernels/gemv/sparsity';
import { versionOf, knobsOf } from '../../src/kernels/family';
import { prepareChecked } from '../../src/labs/harness';

const gpu = await testGpu();

async function runOnGpu(d: GPUDevice, variant: GemvVariant, shape: GemvShape, plan: GemvPlan, weights: PackedWeights, x: Float32Array, threshold: number) {
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC;
  const weightsBuffer = createBufferFrom(d, weights.data, GPUBufferUsage.STORAGE, 'test Wᵀ');
  const xBuffer = createBufferFrom(d, x, GPUBufferUsage.STORAGE, 'test x');
  // y starts as NaN, so an output the kernel never writes fails the check.
  const y = createBufferFrom(d, new Float32Array(shape.batch * shape.dOut).fill(NaN), usage, 'test y');
  const product = prepareGemv(d, variant, shape, plan, { weights: weightsBuffer, x: xBuffer, y }, threshold);
  submitOnce(d, (pass) => product.encode(pass), 'gemv test');
  const result = new Float32Array(await readBuffer(d, y, shape.batch * shape.dOut * 4));
  product.destroy();
  for (const buffer of [weightsBuffer, xBuffer, y]) buffer.destroy();
  return result;
}

/** Runs one version with `plan` (default: planGemv's) and checks it against the reference; returns the GPU output. */
async function check(variant: GemvVariant, shape: GemvShape, sparsity: number, seed: number, plan?: GemvPlan) {
  const d = gpu!.device;
  const random = new Random(seed);
  const weights = packWeights(shape, () => random.gaussian(0, 1));
  const x = random.fill(new Float32Array(shape.batch * shape.dIn), seed % 2 ? { kind: 'laplace', location: 0, scale: 1 } : { kind: 'gaussian', mean: 0, std: 1 });
  const threshold = variant === 'sparse' ? thresholdFor(x, sparsity) : -1;
  const chosen = plan ?? planGemv(shape, variant);
  const expected = sparseGemvReference(weights, x, shape, threshold);
  const actual = await withScopes(d, () => runOnGpu(d, variant, shape, chosen, weights, x, threshold));
  // Outputs near zero are judged against the dense output's scale; f32 sums of ~1000 terms stay far under 1e-4.
  const result = compare(actual, expected, { tolerance: 1e-4, floor: rms(sparseGemvReference(weights, x, shape, -1)) });
  expect(result.mismatches, `${variant} ${JSON.stringify(shape)} sparsity ${sparsity} plan ${JSON.stringify(chosen)}`).toEqual([]);
  return { actual, x, threshold };
}

describe.skipIf(!gpu)('gemv kernels on the test device', () => {
  it('sparse at sparsity 1 reads no row and writes zeros, with f32 and f16 weights', async () => {
    for (const weights of ['f32', 'f16'] as const) {
      const { actual } = await check('sparse', { dIn: 1000, dOut: 3003, batch: 2, weights }, 1, 7);
      expect(Array.from(actual).every((value) => value === 0)).toBe(true);
    }
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
    const shape: GemvShape = { dIn: 1000, dOut: 300, batch: 1, weights: 'f32' };
    const { x, threshold } = await check('sparse', shape, 0.5, 40);
    expect(keptRows(x, 1, shape.dIn, threshold)).toBe(500);
  });

  it.each(['dense', 'sparse-f16'])('the family\'s %s runs cycle through 2 copies of Wᵀ and 3 of x, each x with its own threshold', async (name) => {
    const shape: SparseGemvShape = { dIn: 200, dOut: 70, batch: 2, sparsity: 0.7, weightCopies: 2, xCopies: 3 };
    const version = versionOf(gemv, name);
    const ctx = labContext(gpu!);
    await withScopes(gpu!.device, async () => {
      const checked = await prepareChecked(ctx, 'gemv test', gemv, shape, version, knobsOf(version), { seed: 3, what: `gemv ${name}` });
      try {
        expect(checked.check.ok).toBe(true);
        const inputs = gemv.inputs(shape, new Random(3), version);
        expect(new Set(inputs.thresholds).size).toBe(3);
        // Run 0 was the check; runs 1 to 6 take pairs (g mod 2, g mod 3), so every pairing comes round.
        for (let g = 1; g <= 6; g++) {
          submitOnce(gpu!.device, (pass) => checked.kernel.encode(pass), `gemv run ${g}`);
          const actual = new Float32Array(await readBuffer(gpu!.device, checked.kernel.output.buffer, 4 * shape.batch * shape.dOut));
          const weights = { seed: inputs.weightSeeds[g % 2]!, rowStride: inputs.rowStride };
          const expected = hashedGemvReference(weights, inputs.xs[g % 3]!, shape, inputs.thresholds[g % 3]!, [0, 1]);
          expect(compare(actual, expected, gemv.tolerance(version, expected)).mismatches, `run ${g}`).toEqual([]);
        }
      } finally {
        checked.destroy();
      }
    });
  });
});
