// Every GEMM version against the CPU on random inputs, at shapes that are not multiples of any tile (and a 1×1×1),
// transposed operands and the epilogue's second product, inside error scopes.
import { describe, expect, it } from 'vitest';
import {
  bytes,
  copiedOperands,
  kernelOf,
  elementOf,
  flops,
  GEMM_VERSIONS,
  gemmGrid,
  gemmRefusal,
  prepareGemm,
  splitsOf,
  TILES,
  vectorized,
  type GemmShape,
  type GemmVersion,
} from '../../src/kernels/gemm/gemm';
import { gemmReference } from '../../src/kernels/gemm/gemm.reference';
import { createBufferFrom, createEmptyBuffer, readBuffer } from '../../src/kernels/gpu/buffers';
import { compare } from '../../src/kernels/gpu/check';
import { fromHalfBits, toHalfBits } from '../../src/kernels/gpu/f16';
import { Random } from '../../src/kernels/gpu/random';
import { submitOnce } from '../../src/kernels/gpu/timing';
import { testGpu, withScopes } from './device';

const gpu = await testGpu();

describe('the GEMM cost model, grid and refusals', () => {
  const limits = { maxBufferSize: 1024, maxStorageBufferBindingSize: 1024, maxComputeWorkgroupStorageSize: 16384 };
  it('counts 2mnk FLOPs (both products) and every operand once', () => {
    expect(flops({ m: 2, n: 3, k: 4 })).toBe(48);
    expect(flops({ m: 2, n: 3, k: 4, second: { k: 5, scale: 2 } })).toBe(48 + 60);
    expect(bytes({ m: 2, n: 3, k: 4 })).toBe(4 * (8 + 12 + 6));
    expect(bytes({ m: 2, n: 3, k: 4 }, 'f16')).toBe(2 * (8 + 12 + 6));
    expect(bytes({ m: 2, n: 3, k: 4, second: { k: 1, scale: 1 } })).toBe(4 * (8 + 12 + 6 + 2 + 3));
    expect(flops({ m: 2, n: 3, k: 4, batch: 5 })).toBe(5 * 48);
    expect(gemmGrid({ m: 64, n: 64, k: 64, batch: 32 }, 'tiled')).toEqual({ x: 1, y: 1, z: 32 });
  });
  it('covers any shape with whole blocks', () => {
    expect(gemmGrid({ m: 1000, n: 3000, k: 777 }, 'tiled')).toEqual({ x: 24, y: 8, z: 3 });
    expect(gemmGrid({ m: 4096, n: 4096, k: 4096 }, 'tiled')).toEqual({ x: 32, y: 32, z: 1 });
    expect(gemmGrid({ m: 1000, n: 3000, k: 777 }, 'naive')).toEqual({ x: 188, y: 63, z: 1 });
  });
  it('runs a C of a few rows, untransposed, as matrix–vector products of 256 columns a workgroup, K split finer', () => {
    expect(kernelOf({ m: 4, n: 4096, k: 4096 }, 'tiled')).toBe('skinny');
    expect(kernelOf({ m: 1, n: 4096, k: 4096, second: { k: 16, scale: 2 } }, 'matrix')).toBe('skinny');
    expect(kernelOf({ m: 5, n: 4096, k: 4096 }, 'matrix')).toBe('matrix');
    expect(kernelOf({ m: 4, n: 4096, k: 4096, transA: true }, 'tiled')).toBe('tiled');
    expect(kernelOf({ m: 1, n: 1, k: 1 }, 'naive')).toBe('naive');
    expect(gemmGrid({ m: 1, n: 4096, k: 4096 }, 'tiled')).toEqual({ x: 16, y: 1, z: 32 });
    expect(gemmGrid({ m: 1, n: 4096, k: 4096 }, 'matrix')).toEqual({ x: 16, y: 1, z: 32 });
  });
  it('splits K where C is too narrow to fill a large GPU, never below 256 of K a split', () => {
    expect(splitsOf({ m: 4096, n: 16, k: 4096 }, 'tiled')).toBe(16);
    expect(splitsOf({ m: 4096, n: 16, k: 4096 }, 'matrix')).toBe(16);
    expect(splitsOf({ m: 4096, n: 16, k: 300 }, 'tiled')).toBe(1);
    expect(splitsOf({ m: 2048, n: 2048, k: 2048 }, 'tiled')).toBe(2);
  });
  it('copies blocks with matrix loads only from untransposed operands with rows of whole 16 bytes, at least a block big, each on its own', () => {
    const none = { a2: false, b2: false };
    expect(copiedOperands({ m: 4096, n: 4096, k: 4096 }, TILES.matrix)).toEqual({ a: true, b: true, ...none });
    expect(copiedOperands({ m: 4096, n: 4096, k: 4096, transA: true }, TILES.matrix)).toEqual({ a: false, b: true, ...none });
    expect(copiedOperands({ m: 4096, n: 4096, k: 4096, transB: true }, TILES.matrix)).toEqual({ a: true, b: false, ...none });
    expect(copiedOperands({ m: 1000, n: 3000, k: 777 }, TILES.matrix)).toEqual({ a: false, b: true, ...none });
    expect(copiedOperands({ m: 4096, n: 16, k: 4096 }, TILES.matrix)).toEqual({ a: true, b: false, ...none });
    expect(copiedOperands({ m: 1, n: 4096, k: 4096 }, TILES.matrix)).toEqual({ a: false, b: true, ...none });
    expect(copiedOperands({ m: 4096, n: 4096, k: 4096, second: { k: 4096, scale: 1 } }, TILES.matrix)).toEqual({ a: true, b: true, a2: true, b2: true });
    expect(copiedOperands({ m: 4096, n: 4096, k: 4096, second: { k: 16, scale: 1 } }, TILES.matrix)).toEqual({ a: true, b: true, ...none });
  });
  it('reads vec4s only where every stored row is a multiple of 4 long', () => {
    expect(vectorized({ m: 3, n: 8, k: 4 })).toBe(true);
    expect(vectorized({ m: 3, n: 8, k: 4, transA: true })).toBe(false);
    expect(vectorized({ m: 4, n: 8, k: 4, second: { k: 6, scale: 1 } })).toBe(false);
  });
  it('refuses, naming the limit, what the device cannot hold, and the matrix version without subgroup matrices', () => {
    const device = { features: new Set<string>(), limits };
    expect(gemmRefusal(device, { m: 16, n: 16, k: 17 }, 'tiled')).toMatch(/^A \(16×17\) needs .* maxBufferSize/);
    expect(gemmRefusal(device, { m: 16, n: 16, k: 16 }, 'tiled')).toBeNull();
    expect(gemmRefusal(device, { m: 16, n: 16, k: 16 }, 'matrix')).toMatch(/subgroup/);
    expect(gemmRefusal(device, { m: 4, n: 4, k: 4, second: { k: 4, scale: 1 } }, 'naive')).toMatch(/no epilogue/);
  });
});

/** Values as the version stores them: f32 as they are, f16 rounded (and their rounded values for the reference). */
function stored(version: GemmVersion, values: Float32Array): { data: ArrayBufferView; values: Float32Array } {
  if (elementOf(version) === 'f32') return { data: values, values };
  const bits = Uint16Array.from(values, toHalfBits);
  return { data: bits, values: Float32Array.from(bits, fromHalfBits) };
}

const cases: GemmShape[] = [
  { m: 1, n: 1, k: 1 },
  { m: 33, n: 17, k: 65 },
  { m: 100, n: 300, k: 77 },
  { m: 130, n: 70, k: 200, transA: true },
  { m: 136, n: 132, k: 40, transB: true },
  { m: 132, n: 136, k: 36, transA: true, transB: true },
  { m: 129, n: 140, k: 44, second: { k: 12, scale: 0.5 } },
  { m: 50, n: 33, k: 20, second: { k: 3, scale: 2 } },
  // Split K (the partial sums and their reduction), with and without vec4s, the second product in the last split.
  { m: 40, n: 12, k: 600, second: { k: 8, scale: 0.25 } },
  { m: 7, n: 5, k: 531, transA: true },
  // A batch of products (attention's heads), with and without vec4s, split and not.
  { m: 33, n: 20, k: 12, batch: 3, transB: true },
  { m: 9, n: 7, k: 600, batch: 2, transA: true },
  { m: 40, n: 36, k: 24, batch: 4, second: { k: 4, scale: 0.5 } },
  // Blocks the matrix version copies (with staged edges): both products, A2 staged where the scale is not 1, B alone.
  { m: 256, n: 264, k: 96, second: { k: 40, scale: 1 } },
  { m: 136, n: 256, k: 64, second: { k: 64, scale: 0.5 } },
  { m: 5, n: 264, k: 72 },
  // A few rows (matrix–vector products), K split or not, the second product, a batch, rows that are not vec4s.
  { m: 3, n: 300, k: 1000, second: { k: 37, scale: 0.5 } },
  { m: 4, n: 520, k: 96, batch: 2 },
  { m: 2, n: 7, k: 9 },
];

describe.skipIf(!gpu)('GEMM kernels on the test device', () => {
  const { device } = gpu!;
  const describeShape = (s: GemmShape) =>
    `${s.batch ? `${s.batch} × ` : ''}${s.m}×${s.n}×${s.k}${s.transA ? ' Aᵀ' : ''}${s.transB ? ' Bᵀ' : ''}${s.second ? ` + ${s.second.scale}·(${s.m}×${s.second.k})(${s.second.k}×${s.n})` : ''}${vectorized(s) ? ', vec4' : ''}`;
  for (const version of GEMM_VERSIONS) {
    for (const shape of cases) {
      const refusal = gemmRefusal({ ...gpu!, subgroupMatrixConfigs: gpu!.info.subgroupMatrixConfigs }, shape, version);
      it.skipIf(refusal !== null)(`${version}: ${describeShape(shape)} matches the CPU`, async () => {
        await withScopes(device, async () => {
          const random = new Random(shape.m * 7 + shape.n * 3 + shape.k);
          const gaussian = (length: number) => stored(version, random.fill(new Float32Array(length), { kind: 'gaussian', mean: 0, std: 1 }));
          const k2 = shape.second?.k ?? 0;
          const batch = shape.batch ?? 1;
          const operands = {
            a: gaussian(batch * shape.m * shape.k),
            b: gaussian(batch * shape.k * shape.n),
            a2: gaussian(batch * shape.m * k2),
            b2: gaussian(batch * k2 * shape.n),
          };
          const size = elementOf(version) === 'f16' ? 2 : 4;
          const buffer = (name: keyof typeof operands) => createBufferFrom(device, operands[name].data, GPUBufferUsage.STORAGE, `test ${name}`);
          const inputs = { a: buffer('a'), b: buffer('b'), ...(shape.second ? { a2: buffer('a2'), b2: buffer('b2') } : {}) };
          const c = createEmptyBuffer(device, Math.ceil((size * batch * shape.m * shape.n) / 4) * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'test C');
          const gemm = prepareGemm(device, version, shape, { ...inputs, c });
          try {
            submitOnce(device, (pass) => gemm.encode(pass), `test gemm ${version}`);
            const raw = await readBuffer(device, c, Math.ceil((size * batch * shape.m * shape.n) / 4) * 4);
            const actual = (size === 2 ? Array.from(new Uint16Array(raw), fromHalfBits) : Array.from(new Float32Array(raw))).slice(0, batch * shape.m * shape.n);
            const expected = gemmReference(
              { a: operands.a.values, b: operands.b.values, a2: operands.a2.values, b2: operands.b2.values },
              shape,
            );
            // Error relative to Σ|terms| of each entry: f32 sums in another order stay far under 1e-5; an f16
            // output adds its rounding, 2^-11 of the value.
            const scaled = (values: ArrayLike<number>) => Array.from(values, (v, i) => v / expected.scale[i]!);
            const result = compare(scaled(actual), scaled(expected.c), { tolerance: size === 2 ? 1e-3 : 1e-5, floor: 1 });
            expect(result.ok, result.mismatches.join('\n')).toBe(true);
          } finally {
            gemm.destroy();
            for (const input of Object.values(inputs)) input.destroy();
            c.destroy();
          }
        });
      });
    }
  }
});
