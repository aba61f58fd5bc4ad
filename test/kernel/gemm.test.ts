// Every GEMM version against the CPU on random inputs, at shapes that are not multiples of any tile (and a 1×1×1),
// inside error scopes.
import { describe, expect, it } from 'vitest';
import { bytes, flops, gemmGrid, gemmRefusal, prepareGemm, type GemmShape, type GemmVersion } from '../../src/kernels/gemm/gemm';
import { gemmReference } from '../../src/kernels/gemm/gemm.reference';
import { createBufferFrom, createEmptyBuffer, readBuffer } from '../../src/kernels/gpu/buffers';
import { compare } from '../../src/kernels/gpu/check';
import { Random } from '../../src/kernels/gpu/random';
import { submitOnce } from '../../src/kernels/gpu/timing';
import { testGpu, withScopes } from './device';

const gpu = await testGpu();

describe('the GEMM cost model and grid', () => {
  it('counts 2mnk FLOPs and A, B and C once', () => {
    expect(flops({ m: 2, n: 3, k: 4 })).toBe(48);
    expect(bytes({ m: 2, n: 3, k: 4 })).toBe(4 * (8 + 12 + 6));
    expect(gemmGrid({ m: 1000, n: 3000, k: 777 }, 'tiled')).toEqual({ x: 47, y: 16 });
    expect(gemmRefusal({ maxBufferSize: 1024, maxStorageBufferBindingSize: 1024 }, { m: 16, n: 16, k: 17 }, 'tiled')).toMatch(/^A \(16×17\) needs/);
  });
});

describe.skipIf(!gpu)('GEMM kernels on the test device', () => {
  const { device } = gpu!;
  const shapes: GemmShape[] = [
    { m: 1, n: 1, k: 1 },
    { m: 33, n: 17, k: 65 },
    { m: 100, n: 300, k: 77 },
    { m: 130, n: 70, k: 200 },
  ];
  for (const version of ['naive', 'tiled'] as GemmVersion[]) {
    for (const shape of shapes) {
      it(`${version}: ${shape.m}×${shape.n}×${shape.k} matches the CPU`, async () => {
        await withScopes(device, async () => {
          const random = new Random(shape.m * 7 + shape.n * 3 + shape.k);
          const a = random.fill(new Float32Array(shape.m * shape.k), { kind: 'gaussian', mean: 0, std: 1 });
          const b = random.fill(new Float32Array(shape.k * shape.n), { kind: 'gaussian', mean: 0, std: 1 });
          const aBuffer = createBufferFrom(device, a, GPUBufferUsage.STORAGE, 'test A');
          const bBuffer = createBufferFrom(device, b, GPUBufferUsage.STORAGE, 'test B');
          const c = createEmptyBuffer(device, 4 * shape.m * shape.n, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'test C');
          const gemm = prepareGemm(device, version, shape, { a: aBuffer, b: bBuffer, c });
          try {
            submitOnce(device, (pass) => gemm.encode(pass), `test gemm ${version}`);
            const actual = new Float32Array(await readBuffer(device, c, 4 * shape.m * shape.n));
            const expected = gemmReference(a, b, shape);
            // Error relative to Σ|a·b| of each entry: f32 sums in another order than f64 stay far under 1e-5.
            const scaled = (values: ArrayLike<number>) => Array.from(values, (v, i) => v / expected.scale[i]!);
            const result = compare(scaled(actual), scaled(expected.c), { tolerance: 1e-5, floor: 1 });
            expect(result.ok, result.mismatches.join('\n')).toBe(true);
          } finally {
            gemm.destroy();
            aBuffer.destroy();
            bBuffer.destroy();
            c.destroy();
          }
        });
      });
    }
  }
});
