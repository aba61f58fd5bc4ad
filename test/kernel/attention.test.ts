// Attention's building blocks: the cost model, the CPU reference on cases with known answers, the row softmax of
// naive attention against the CPU at widths that are not multiples of its workgroup, causal and not, the family's
// rows, inputs and refusals, and every version through the family at odd shapes, every row of a head checked (the
// conformance test checks two), with the naive version's dispatches counted as it records them.
import { describe, expect, it } from 'vitest';
import {
  matrixAttentionRefusal,
  matrixBlocksFor,
  matrixBytes,
  matrixInputElements,
  matrixSharedBytes,
  naiveRefusal,
  prepareSoftmax,
  tiledBytes,
  tiledRefusal,
} from '../../src/kernels/attention/attention';
import { attentionRows, softmaxRow } from '../../src/kernels/attention/attention.reference';
import { attentionFlops, fewestBytes, naiveBytes, type AttentionShape } from '../../src/kernels/attention/cost';
import { attention } from '../../src/kernels/attention/index';
import { knobsOf, versionOf } from '../../src/kernels/family';
import { createBufferFrom, readBuffer } from '../../src/kernels/gpu/buffers';
import { compare } from '../../src/kernels/gpu/check';
import { fromHalfBits, toHalfBits } from '../../src/kernels/gpu/f16';
import { hashValues } from '../../src/kernels/gpu/hashed';
import { Random } from '../../src/kernels/gpu/random';
import { submitOnce } from '../../src/kernels/gpu/timing';
import { familyDeviceOf, Resources } from '../../src/labs/harness';
import { testGpu, withScopes } from './device';

const gpu = await testGpu();

describe('the attention cost model', () => {
  const shape: AttentionShape = { batch: 1, heads: 32, seqLen: 4096, headDim: 128, causal: false };
  it('counts 4N²d FLOPs a head, N(N+1)/2 pairs with the causal mask', () => {
    expect(attentionFlops(shape)).toBe(4 * 32 * 4096 * 4096 * 128);
    expect(attentionFlops({ ...shape, causal: true })).toBe(4 * 32 * 128 * ((4096 * 4097) / 2));
  });
  it('moves Q, K, V and O at least, and the naive kernel 4N² scores more', () => {
    expect(fewestBytes(shape, 2)).toBe(4 * 2 * 32 * 4096 * 128);
    expect(naiveBytes(shape, 2) - fewestBytes(shape, 2)).toBe(4 * 4 * 32 * 4096 * 4096);
  });
});

describe('the attention reference', () => {
  const shape: AttentionShape = { batch: 2, heads: 3, seqLen: 5, headDim: 4, causal: false };
  const random = new Random(1);
  const size = 2 * 3 * 5 * 4;
  const q = random.fill(new Float32Array(size), { kind: 'gaussian', mean: 0, std: 1 });
  const k = random.fill(new Float32Array(size), { kind: 'gaussian', mean: 0, std: 1 });
  const v = random.fill(new Float32Array(size), { kind: 'gaussian', mean: 0, std: 1 });
  it('gives row 0 of a causal head its own value row', () => {
    const out = attentionRows({ ...shape, causal: true }, q, k, v, { b: 1, h: 2 }, [0]);
    const base = (1 * 3 + 2) * 5 * 4;
    expect(Array.from(out)).toEqual(Array.from(v.subarray(base, base + 4)));
  });
  it('averages the value rows evenly when every score is equal (scale 0)', () => {
    const out = attentionRows(shape, q, k, v, { b: 0, h: 1 }, [3], 0);
    const base = 1 * 5 * 4;
    for (let i = 0; i < 4; i++) {
      const mean = [0, 1, 2, 3, 4].reduce((sum, j) => sum + v[base + j * 4 + i]!, 0) / 5;
      expect(out[i]).toBeCloseTo(mean, 12);
    }
  });
});

describe.skipIf(!gpu)('the row softmax on the test device', () => {
  const { device } = gpu!;
  for (const { rows, n, causal } of [
    { rows: 1, n: 1, causal: false },
    { rows: 37, n: 37, causal: true },
    { rows: 3 * 300, n: 300, causal: true },
    { rows: 5, n: 1000, causal: false },
  ]) {
    it(`${rows} rows of ${n}${causal ? ', causal' : ''} match the CPU`, async () => {
      await withScopes(device, async () => {
        const scores = new Random(rows + n).fill(new Float32Array(rows * n), { kind: 'gaussian', mean: 0, std: 3 });
        const buffer = createBufferFrom(device, scores, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'test scores');
        const softmax = prepareSoftmax(device, { rows, n, scale: 0.7, causal }, buffer);
        try {
          submitOnce(device, (pass) => softmax.encode(pass), 'test softmax');
          const actual = new Float32Array(await readBuffer(device, buffer, 4 * rows * n));
          const expected = new Float64Array(rows * n);
          for (let row = 0; row < rows; row++) expected.set(softmaxRow(scores.subarray(row * n, (row + 1) * n), row % n, n, 0.7, causal), row * n);
          // Probabilities: absolute error against 1, the largest any can be.
          const result = compare(actual, expected, { tolerance: 1e-6, floor: 1 });
          expect(result.ok, result.mismatches.join('\n')).toBe(true);
        } finally {
          softmax.destroy();
          buffer.destroy();
        }
      });
    });
  }
});

describe('the tiled kernel\'s traffic and refusals', () => {
  it('reads Q once a key tile, K and V once a query block, and skips the tiles above the diagonal', () => {
    const shape: AttentionShape = { batch: 1, heads: 1, seqLen: 128, headDim: 64, causal: false };
    const blocks = { rows: 64, keys: 64 };
    // Two query blocks of 64 rows, two key tiles each.
    expect(tiledBytes(shape, 4, blocks)).toBe(4 * 2 * (64 * 64 * 2 + 2 * 128 * 64 + 64 * 64));
    // Causal: the first block sees one tile (64 keys), the second two.
    expect(tiledBytes({ ...shape, causal: true }, 4, blocks)).toBe(4 * (64 * 64 * 1 + 2 * 64 * 64 + 64 * 64 + (64 * 64 * 2 + 2 * 128 * 64 + 64 * 64)));
    // Blocks of 128 keys: one tile for each query block.
    expect(tiledBytes(shape, 4, { rows: 64, keys: 128 })).toBe(4 * 2 * (64 * 64 + 2 * 128 * 64 + 64 * 64));
    expect(tiledRefusal({}, { ...shape, headDim: 256 })).toMatch(/up to 128/);
  });
});

describe('the tensor-core kernel\'s blocks, traffic and refusals', () => {
  const shape: AttentionShape = { batch: 1, heads: 2, seqLen: 100, headDim: 64, causal: false };
  it('takes the first preferred blocks this device\'s workgroup memory holds', () => {
    expect(matrixBlocksFor({ maxComputeWorkgroupStorageSize: 49152 })).toEqual({ subgroups: 4, keys: 32 });
    expect(matrixBlocksFor({ maxComputeWorkgroupStorageSize: 8192 })).toEqual({ subgroups: 2, keys: 32 });
    expect(matrixBlocksFor({ maxComputeWorkgroupStorageSize: 16384 })).toEqual({ subgroups: 4, keys: 32 });
    expect(matrixSharedBytes({ subgroups: 4, keys: 32 })).toBeLessThanOrEqual(16384);
  });
  it('pads its inputs by a block of rows, and reads K and V once a query block, in f16', () => {
    const blocks = { subgroups: 4, keys: 64 };
    expect(matrixInputElements(shape, blocks)).toBe((2 * 100 + 64) * 64);
    // Two query blocks of 64 rows (the second of 36): Q read and O written once, K and V once a block.
    expect(matrixBytes(shape, blocks)).toBe(2 * 2 * (2 * 100 * 64 + 2 * 2 * 100 * 64));
    expect(matrixBytes({ ...shape, causal: true }, blocks)).toBe(2 * 2 * (2 * 100 * 64 + 2 * (64 + 100) * 64));
  });
  it('names what the device lacks', () => {
    const limits = { maxStorageBufferBindingSize: 2 ** 31, maxBufferSize: 2 ** 31, maxComputeWorkgroupsPerDimension: 65535, maxComputeWorkgroupStorageSize: 49152, maxComputeInvocationsPerWorkgroup: 1024 };
    const features = new Set(['shader-f16', 'subgroups', 'chromium-experimental-subgroup-matrix']);
    expect(matrixAttentionRefusal({ features: new Set(), limits }, shape)).toMatch(/subgroup matrices/);
    expect(matrixAttentionRefusal({ features, limits, subgroupMinSize: 8 }, shape)).toMatch(/at least 16 lanes; this device runs some of 8/);
    expect(matrixAttentionRefusal({ features, limits }, { ...shape, headDim: 72 })).toMatch(/multiples of 16 up to 128; 72/);
    expect(matrixAttentionRefusal({ features, limits, subgroupMinSize: 32, subgroupMaxSize: 32 }, shape)).toBeNull();
  });
});

describe('the attention family', () => {
  const version = (name: string) => versionOf(attention, name);
  it('reads the output as one row a query, checking rows 0 and N−1 of the first head and of the last', () => {
    expect(attention.rows({ batch: 2, heads: 3, seqLen: 5, headDim: 4, causal: false })).toEqual({ count: 30, length: 4, checked: [0, 4, 25, 29] });
    expect(attention.rows({ batch: 1, heads: 1, seqLen: 1, headDim: 64, causal: true })).toEqual({ count: 1, length: 64, checked: [0] });
  });
  it('finds each checked row\'s head: row 0 of a causal head is its own value row', () => {
    const shape: AttentionShape = { batch: 2, heads: 3, seqLen: 5, headDim: 4, causal: true };
    const inputs = attention.inputs(shape, new Random(3), version('tiled'));
    const head = 1 * 3 + 2;
    const v = inputs.v as Float32Array;
    expect(Array.from(attention.reference(inputs, shape, [head * 5]) as Float64Array)).toEqual(Array.from(v.subarray(head * 5 * 4, (head * 5 + 1) * 4)));
    // Hashed inputs: the same row of the same head is the hashed V's row there.
    const hashed = attention.inputs({ ...shape, hashed: true }, new Random(3), version('tiled'));
    const seed = (hashed.v as { seed: number }).seed;
    expect(Array.from(attention.reference(hashed, { ...shape, hashed: true }, [head * 5]) as Float64Array)).toEqual(Array.from(hashValues(seed, head * 5 * 4, 4)));
  });
  it('gives the matrix version f16 inputs, rounded once', () => {
    const shape: AttentionShape = { batch: 1, heads: 1, seqLen: 3, headDim: 16, causal: false };
    const q = attention.inputs(shape, new Random(4), version('matrix')).q as Float32Array;
    expect(Array.from(q, (value) => fromHalfBits(toHalfBits(value)))).toEqual(Array.from(q));
  });
  it('refuses blocks whose workgroup memory the device lacks, naming it', () => {
    const limits = { maxStorageBufferBindingSize: 2 ** 31, maxBufferSize: 2 ** 31, maxComputeWorkgroupsPerDimension: 65535, maxComputeWorkgroupStorageSize: 16384, maxComputeInvocationsPerWorkgroup: 256 };
    const device = { features: new Set(['shader-f16', 'subgroups', 'chromium-experimental-subgroup-matrix']), limits, subgroupMinSize: 32, subgroupMaxSize: 32 };
    const shape: AttentionShape = { batch: 1, heads: 8, seqLen: 1000, headDim: 64, causal: false };
    expect(attention.refusal(device, shape, version('matrix'), { subgroups: 4, keys: 64 })).toMatch(/maxComputeWorkgroupStorageSize/);
    expect(attention.refusal(device, shape, version('matrix'), { subgroups: 4, keys: 32 })).toBeNull();
    expect(attention.refusal(device, shape, version('tiled'), {})).toBeNull();
  });
});

describe.skipIf(!gpu)('attention kernels on the test device', () => {
  const { device } = gpu!;
  const shapes: AttentionShape[] = [
    { batch: 1, heads: 1, seqLen: 1, headDim: 64, causal: false },
    { batch: 2, heads: 3, seqLen: 37, headDim: 80, causal: false },
    { batch: 1, heads: 2, seqLen: 130, headDim: 64, causal: true },
    { batch: 1, heads: 1, seqLen: 300, headDim: 128, causal: true },
    { batch: 1, heads: 2, seqLen: 200, headDim: 80, causal: false },
  ];
  const familyDevice = familyDeviceOf(gpu!);
  for (const [name, shape] of attention.versions.flatMap((version) => shapes.map((shape) => [version.name, shape] as const))) {
    const { batch, heads, seqLen: n, headDim: d, causal } = shape;
    const version = versionOf(attention, name);
    it.skipIf(attention.refusal(familyDevice, shape, version, knobsOf(version)) !== null)(`${name}: every row of the last head, B=${batch}, H=${heads}, N=${n}, d=${d}${causal ? ', causal' : ''}`, async () => {
      await withScopes(device, async () => {
        const resources = new Resources({ gpu: gpu! }, 'test');
        try {
          const inputs = attention.inputs(shape, new Random(n * d + heads), version);
          const buffers = attention.buffers(resources, shape, inputs, version, knobsOf(version));
          const kernel = resources.own(attention.prepare(device, shape, buffers, version, knobsOf(version)));
          submitOnce(device, (pass) => kernel.encode(pass), `test ${name} attention`);
          const half = version.element === 'f16';
          const size = batch * heads * n * d;
          const raw = await readBuffer(device, kernel.output.buffer, 4 * Math.ceil(((half ? 2 : 4) * size) / 4));
          const o = half ? Float32Array.from(new Uint16Array(raw, 0, size), fromHalfBits) : new Float32Array(raw);
          // Rows 0 and N−1 of the first head, and every row of the last.
          const last = batch * heads - 1;
          const rows = [0, n - 1, ...[...Array(n).keys()].map((row) => last * n + row)];
          const expected = await attention.reference(inputs, shape, rows);
          const actual = rows.flatMap((row) => Array.from(o.subarray(row * d, (row + 1) * d)));
          // Outputs are averages of unit Gaussians: errors against 1 (f16 probabilities and outputs: 2^-11 each).
          const result = compare(actual, expected, { tolerance: half ? 3e-3 : 1e-5, floor: 1 });
          expect(result.ok, result.mismatches.join('\n')).toBe(true);
        } finally {
          resources.destroy();
        }
      });
    });
  }

  it('counts the naive version\'s dispatches as it records them: P·V split in two where its K, N = 512, is deep', () => {
    const naive = versionOf(attention, 'naive');
    for (const shape of [...attention.examples, { batch: 1, heads: 1, seqLen: 512, headDim: 64, causal: false }]) {
      const resources = new Resources({ gpu: gpu! }, 'test');
      try {
        const buffers = attention.buffers(resources, shape, attention.inputs(shape, new Random(5), naive), naive, {});
        const kernel = resources.own(attention.prepare(device, shape, buffers, naive, {}));
        expect(attention.cost(shape, naive).dispatches).toBe(kernel.dispatches);
        expect(kernel.dispatches).toBe(shape.seqLen === 512 ? 4 : 3);
      } finally {
        resources.destroy();
      }
    }
  });

  it('refuses, naming the limit, scores the device cannot hold', () => {
    expect(naiveRefusal({ maxStorageBufferBindingSize: 2 ** 31 - 4 }, { batch: 1, heads: 32, seqLen: 4096, headDim: 128, causal: false })).toMatch(
      /^The 4096×4096 scores of 32 heads needs 2 GiB .* maxStorageBufferBindingSize/,
    );
  });
});
