// FAVOR+: the random features (orthogonal where asked), the GPU steps against the float64 reference at odd N and
// m, and the approximation itself: more features, closer to exact attention.
import { describe, expect, it } from 'vitest';
import { attentionRows } from '../../src/kernels/attention/attention.reference';
import { favorFlops, favorRefusal, prepareFavor, withOnes, type FavorShape } from '../../src/kernels/favor/favor';
import { favorRows } from '../../src/kernels/favor/favor.reference';
import { halfSquaredNorms, randomFeatures } from '../../src/kernels/favor/features';
import { createBufferFrom, createEmptyBuffer, readBuffer } from '../../src/kernels/gpu/buffers';
import { compare } from '../../src/kernels/gpu/check';
import { Random } from '../../src/kernels/gpu/random';
import { submitOnce } from '../../src/kernels/gpu/timing';
import { testGpu, withScopes } from './device';

const gpu = await testGpu();

/** Gaussian q, k, v for `shape`, with q and k as FAVOR+ takes them (scaled by d^-¼) and V with a column of ones. */
function favorInputs(shape: FavorShape, seed: number) {
  const { batch, heads, seqLen: n, headDim: d } = shape;
  const random = new Random(seed);
  const size = batch * heads * n * d;
  const [q, k, v] = [0, 1, 2].map(() => random.fill(new Float32Array(size), { kind: 'gaussian', mean: 0, std: 1 })) as [Float32Array, Float32Array, Float32Array];
  const quarter = d ** -0.25;
  return { q, k, v, v1: withOnes(v, batch * heads * n, d), qs: q.map((x) => x * quarter), ks: k.map((x) => x * quarter) };
}

describe('random features', () => {
  it('makes each block of d orthogonal rows, with Gaussian-like lengths', () => {
    const [m, d] = [40, 16];
    const omega = randomFeatures(m, d, 'orthogonal', 3);
    const row = (j: number) => omega.subarray(j * d, (j + 1) * d);
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * b[i]!, 0);
    for (let block = 0; block < m; block += d) {
      for (let i = block; i < Math.min(m, block + d); i++) {
        for (let j = block; j < i; j++) expect(Math.abs(dot(row(i), row(j))) / Math.sqrt(dot(row(i), row(i)) * dot(row(j), row(j)))).toBeLessThan(1e-5);
      }
    }
    const meanSquare = Array.from({ length: m }, (_, j) => dot(row(j), row(j))).reduce((a, b) => a + b) / m;
    expect(meanSquare).toBeGreaterThan(d / 2);
    expect(meanSquare).toBeLessThan(2 * d);
    // Independent rows are not orthogonal: some pair has a clear dot product.
    const independent = randomFeatures(m, d, 'independent', 3);
    expect(Math.abs(dot(independent.subarray(0, d), independent.subarray(d, 2 * d)))).toBeGreaterThan(1e-3);
  });

  it('approximates exact attention better with more features, orthogonal ones better than independent', () => {
    const shape: FavorShape = { batch: 1, heads: 1, seqLen: 64, headDim: 16, features: 16 };
    const { q, k, v, qs, ks } = favorInputs(shape, 5);
    const rows = [...Array(16).keys()];
    const exact = attentionRows({ ...shape, causal: false }, q, k, v, { b: 0, h: 0 }, rows);
    const error = (m: number, kind: 'orthogonal' | 'independent') => {
      let total = 0;
      for (let seed = 0; seed < 5; seed++) {
        const approx = favorRows({ ...shape, features: m }, qs, ks, v, randomFeatures(m, 16, kind, 100 + seed), { b: 0, h: 0 }, rows);
        total += Math.hypot(...approx.map((x, i) => x - exact[i]!)) / Math.hypot(...exact);
      }
      return total / 5;
    };
    expect(error(512, 'orthogonal')).toBeLessThan(error(16, 'orthogonal'));
    expect(error(64, 'orthogonal')).toBeLessThan(error(64, 'independent'));
  });

  it('counts the four products and refuses features the device cannot hold', () => {
    const shape: FavorShape = { batch: 1, heads: 8, seqLen: 4096, headDim: 64, features: 256 };
    // Two projections of 32768 rows by 64 onto 256 features (2^30 FLOPs each), and two products of 8 heads' 256 × 4096
    // by 4096 × 65 and 4096 × 256 by 256 × 65 (1 090 519 040 each).
    expect(favorFlops(shape)).toBe(4_328_521_728);
    expect(favorRefusal({ maxStorageBufferBindingSize: 1 << 20, maxBufferSize: 1 << 30 }, shape)).toMatch(/features of 8 heads .* maxStorageBufferBindingSize/);
  });
});

describe.skipIf(!gpu)('FAVOR+ on the test device', () => {
  const { device } = gpu!;
  const shapes: FavorShape[] = [
    { batch: 1, heads: 1, seqLen: 1, headDim: 16, features: 16 },
    { batch: 1, heads: 2, seqLen: 37, headDim: 64, features: 77 },
    { batch: 2, heads: 1, seqLen: 130, headDim: 80, features: 130 },
  ];
  for (const shape of shapes) {
    const { batch, heads, seqLen: n, headDim: d, features: m } = shape;
    it(`B=${batch}, H=${heads}, N=${n}, d=${d}, m=${m} matches the CPU`, async () => {
      await withScopes(device, async () => {
        const { v, v1, qs, ks } = favorInputs(shape, n + m);
        const omega = randomFeatures(m, d, 'orthogonal', 7);
        const buffers = {
          q: createBufferFrom(device, qs, GPUBufferUsage.STORAGE, 'test q'),
          k: createBufferFrom(device, ks, GPUBufferUsage.STORAGE, 'test k'),
          v1: createBufferFrom(device, v1, GPUBufferUsage.STORAGE, 'test v1'),
          omega: createBufferFrom(device, omega, GPUBufferUsage.STORAGE, 'test omega'),
          shift: createBufferFrom(device, halfSquaredNorms(omega, m, d), GPUBufferUsage.STORAGE, 'test shift'),
          o: createEmptyBuffer(device, 4 * batch * heads * n * d, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'test o'),
        };
        const favor = prepareFavor(device, shape, buffers);
        try {
          submitOnce(device, (pass) => favor.encode(pass), 'test favor');
          const o = new Float32Array(await readBuffer(device, buffers.o, 4 * batch * heads * n * d));
          const last = { b: batch - 1, h: heads - 1 };
          const rows = [...Array(n).keys()];
          const expected = favorRows(shape, qs, ks, v, omega, last, rows);
          const base = (last.b * heads + last.h) * n * d;
          // Outputs are weighted averages of unit Gaussians: errors against 1.
          const result = compare(o.subarray(base, base + n * d), expected, { tolerance: 1e-4, floor: 1 });
          expect(result.ok, result.mismatches.join('\n')).toBe(true);
        } finally {
          favor.destroy();
          for (const buffer of Object.values(buffers)) buffer.destroy();
        }
      });
    });
  }
});
