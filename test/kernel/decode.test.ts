// What the conformance test (the decode family at its small odd shapes, hashed K/V) does not cover: each version
// on Gaussian K/V uploaded from the CPU (rounded to f16 where stored so) at d = 128, the plan's edges (one split for
// the whole context, one row a split, four rows a step with a group of 16), the copies of K and V that timed passes
// rotate through, and the hashed fill itself.
import { describe, expect, it } from 'vitest';
import {
  createDecodeScratch,
  decodeBufferBytes,
  planDecode,
  prepareDecode,
  subgroupMinSizeOf,
  type DecodeOptions,
  type DecodeShape,
  type KvDtype,
} from '../../src/kernels/decode/decode';
import { decode } from '../../src/kernels/decode/index';
import { decodeReference, decodeTolerance, sequenceReference } from '../../src/kernels/decode/decode.reference';
import { versionOf } from '../../src/kernels/family';
import { fillHashed, hashValues } from '../../src/kernels/gpu/hashed';
import { createBufferFrom, createEmptyBuffer, readBuffer } from '../../src/kernels/gpu/buffers';
import { compare } from '../../src/kernels/gpu/check';
import { fromHalfBits, toHalfBits } from '../../src/kernels/gpu/f16';
import { Random } from '../../src/kernels/gpu/random';
import { submitOnce } from '../../src/kernels/gpu/timing';
import { Resources } from '../../src/labs/harness';
import { testGpu, withScopes } from './device';

const gpu = await testGpu();

async function checkDecode(shape: DecodeShape, options: DecodeOptions, seed: number) {
  const { device } = gpu!;
  const plan = planDecode(shape, options, subgroupMinSizeOf(device));
  const random = new Random(seed);
  const gaussian = { kind: 'gaussian', mean: 0, std: 1 } as const;
  const bytes = decodeBufferBytes(plan);
  const q = random.fill(new Float32Array(bytes.q / 4), gaussian);
  const kvLength = shape.batch * shape.kvHeads * shape.seqLen * shape.headDim;
  const kValues = random.fill(new Float32Array(kvLength), gaussian);
  const vValues = random.fill(new Float32Array(kvLength), gaussian);
  const upload = (values: Float32Array, dtype: KvDtype) => (dtype === 'f16' ? Uint16Array.from(values, toHalfBits) : values);
  const widen = (values: Float32Array, dtype: KvDtype) => (dtype === 'f16' ? values.map((value) => fromHalfBits(toHalfBits(value))) : values);
  const expected = decodeReference(shape, q, widen(kValues, options.dtype), widen(vValues, options.dtype));

  const actual = await withScopes(device, async () => {
    const out = createEmptyBuffer(device, bytes.out, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'decode out');
    const dispatch = prepareDecode(device, plan, {
      q: createBufferFrom(device, q, GPUBufferUsage.STORAGE, 'decode q'),
      k: createBufferFrom(device, upload(kValues, options.dtype), GPUBufferUsage.STORAGE, 'decode k'),
      v: createBufferFrom(device, upload(vValues, options.dtype), GPUBufferUsage.STORAGE, 'decode v'),
      out,
      ...createDecodeScratch(device, plan),
    });
    const encoder = device.createCommandEncoder({ label: 'decode test' });
    const pass = encoder.beginComputePass();
    dispatch.encode(pass);
    pass.end();
    device.queue.submit([encoder.finish()]);
    const result = new Float32Array(await readBuffer(device, out, bytes.out));
    dispatch.destroy();
    return result;
  });
  const result = compare(actual, expected, decodeTolerance(expected));
  expect(result.mismatches, `${options.version} ${options.dtype} ${JSON.stringify(shape)} splits=${plan.splits}`).toEqual([]);
  return plan;
}

const versions = (['workgroup', 'subgroup'] as const).filter((version) => version !== 'subgroup' || gpu?.features.has('subgroups'));

describe.skipIf(!gpu)('decode attention against the CPU reference', () => {
  if (!gpu?.features.has('subgroups')) it.skip('version subgroup: this device has no `subgroups` feature', () => {});

  for (const version of versions) {
    for (const dtype of ['f32', 'f16'] as const) {
      const shape = { batch: 2, queryHeads: 8, kvHeads: 2, seqLen: 203, headDim: 128 };
      it(`${version} ${dtype} d=128 H_q=8 H_kv=2 S=203, split, on Gaussian K/V`, async () => {
        const plan = await checkDecode(shape, { version, dtype }, 128 * 31 + dtype.length);
        expect(plan.splits).toBeGreaterThan(1);
        expect(shape.seqLen % plan.chunkLen).not.toBe(0);
      });
    }

    it(`${version}: one split holds the whole context`, async () => {
      await checkDecode({ batch: 1, queryHeads: 4, kvHeads: 1, seqLen: 300, headDim: 64 }, { version, dtype: 'f32', splits: 1 }, 5);
    });
    it(`${version}: one row per split, fewer rows than teams`, async () => {
      await checkDecode({ batch: 3, queryHeads: 2, kvHeads: 2, seqLen: 7, headDim: 64 }, { version, dtype: 'f32', splits: 7 }, 6);
    });
    it(`${version}: four rows per step and a wide group (H_q/H_kv = 16)`, async () => {
      await checkDecode({ batch: 1, queryHeads: 16, kvHeads: 1, seqLen: 99, headDim: 128 }, { version, dtype: 'f16', rowsPerStep: 4 }, 7);
    });
  }
});

describe.skipIf(!gpu)('decode family: timed passes rotate through copies of K and V', () => {
  it('pass rep reads copy rep mod copies, and the check (rep 0) the first', async () => {
    const { device } = gpu!;
    const shape = { batch: 1, queryHeads: 4, kvHeads: 2, seqLen: 50, headDim: 32 };
    const version = versionOf(decode, 'workgroup-f32');
    const inputs = decode.inputs(shape, new Random(3), version);
    // A cache of a few KiB: the most copies, 4.
    expect(inputs.copies).toHaveLength(4);
    const resources = new Resources({ gpu: gpu! }, 'rotation');
    try {
      const outputs = await withScopes(device, async () => {
        const buffers = decode.buffers(resources, shape, inputs, version, {});
        const kernel = resources.own(decode.prepare(device, shape, buffers, version, {}));
        const read = async (rep: number) => {
          submitOnce(device, (pass) => kernel.encode(pass, rep), `rep ${rep}`);
          return new Float32Array(await readBuffer(device, buffers['out']!, 4 * shape.queryHeads * shape.headDim));
        };
        return [await read(0), await read(5)];
      });
      const expected = [0, 1].map((copy) => sequenceReference(shape, inputs.q, 0, inputs.copies[copy]!));
      expect(compare(outputs[0]!, expected[0]!, decodeTolerance(expected[0]!)).mismatches).toEqual([]);
      expect(compare(outputs[1]!, expected[1]!, decodeTolerance(expected[1]!)).mismatches).toEqual([]);
      expect(compare(outputs[1]!, expected[0]!, decodeTolerance(expected[0]!)).ok).toBe(false);
    } finally {
      resources.destroy();
    }
  });
});

describe.skipIf(!gpu)('hashed K/V fill', () => {
  for (const dtype of ['f32', 'f16'] as const) {
    it(`${dtype}: the GPU holds what hashValues recomputes`, async () => {
      const { device } = gpu!;
      const elements = 3000;
      const bytes = elements * (dtype === 'f16' ? 2 : 4);
      const actual = await withScopes(device, async () => {
        const buffer = createEmptyBuffer(device, bytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'fill test');
        fillHashed(device, buffer, elements, dtype, 77);
        const raw = await readBuffer(device, buffer, bytes);
        return dtype === 'f16' ? Float32Array.from(new Uint16Array(raw), fromHalfBits) : new Float32Array(raw);
      });
      const expected = hashValues(77, 0, elements);
      expect(Array.from(actual)).toEqual(Array.from(expected));
      expect(new Set(expected).size).toBeGreaterThan(1000);
      expect(expected.every((value) => value >= -1 && value < 1)).toBe(true);
    });
  }
});
