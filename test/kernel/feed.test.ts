// The feed kernel (the matrix units fed from workgroup memory): its arithmetic, inputs, reference and refusals, and
// its WGSL through Dawn's validation on the null backend. Its results against the CPU on a GPU with subgroup
// matrices, at the family's examples, are the conformance test's.
import { describe, expect, it } from 'vitest';
import feedSource from '../../src/kernels/feed/feed.wgsl';
import { BLOCK, bytes, DEPTHS, feedInputs, feedRefusal, flops, MAX_ITERATIONS, threadsOf, WORKGROUP_BYTES, type FeedInputs } from '../../src/kernels/feed/feed';
import { feedReference, stepsAtDepth } from '../../src/kernels/feed/feed.reference';
import { fromHalfBits, toHalfBits } from '../../src/kernels/gpu/f16';
import { Random } from '../../src/kernels/gpu/random';
import { feed } from '../../src/kernels/feed/index';
import { bindBuffers } from '../../src/kernels/gpu/pipelines';
import { Resources } from '../../src/labs/harness';
import { compileOnlyGpu, withScopes } from './device';

const MATRIX_FEATURES = new Set(['chromium-experimental-subgroup-matrix', 'shader-f16']);
const H100_LIMITS = { maxComputeInvocationsPerWorkgroup: 1024, maxComputeWorkgroupStorageSize: 49152, maxBufferSize: 2 ** 34, maxStorageBufferBindingSize: 2 ** 32 - 4 };

describe('feed kernel arithmetic', () => {
  it('counts 16 multiply-accumulates of 2·16³ FLOPs per subgroup a step, and writes a 128×128 f32 block a workgroup', () => {
    // 3 workgroups × 4 subgroups × 16 tiles × 5 steps = 960 multiply-accumulates of 8192 FLOPs.
    expect(flops({ workgroups: 3, iterations: 5 })).toBe(960 * 8192);
    expect(bytes({ workgroups: 3, iterations: 5 })).toBe(3 * 64 * 1024);
    // The probe's default: 1056 workgroups (8 an SM of a 132-SM GPU) × 2048 steps, 1.13 TFLOP.
    expect(flops({ workgroups: 1056, iterations: 2048 })).toBe(1056 * 4 * 16 * 2 * 16 ** 3 * 2048);
  });

  it('keeps each block in workgroup memory a whole number of 16 bytes, as NVIDIA’s driver needs', () => {
    const aBytes = 2 * BLOCK.m * (BLOCK.k + 8);
    const bBytes = 2 * BLOCK.k * (BLOCK.n + 8);
    expect([aBytes, bBytes]).toEqual([10240, 8704]);
    expect(aBytes % 16 + (bBytes % 16)).toBe(0);
    expect(WORKGROUP_BYTES).toBe(aBytes + bBytes);
    expect(threadsOf(32)).toBe(128);
  });

  it('draws inputs that are exact in f16 and multiples of 1/16', () => {
    const inputs = feedInputs(new Random(7), 2);
    expect(inputs.a.length).toBe(2 * BLOCK.m * BLOCK.k);
    expect(inputs.b.length).toBe(2 * BLOCK.k * BLOCK.n);
    for (const bits of [...inputs.a, ...inputs.b]) {
      const value = fromHalfBits(bits);
      expect(toHalfBits(value)).toBe(bits);
      expect([1, 2, 3, 4]).toContain(value * 16);
    }
  });

  it('counts the steps at each depth, the first depth taking the odd one', () => {
    expect(DEPTHS).toBe(2);
    expect([stepsAtDepth(1, 0), stepsAtDepth(1, 1)]).toEqual([1, 0]);
    expect([stepsAtDepth(37, 0), stepsAtDepth(37, 1)]).toEqual([19, 18]);
    expect([stepsAtDepth(2048, 0), stepsAtDepth(2048, 1)]).toEqual([1024, 1024]);
  });

  it('reference: the kernel’s loop, tile by tile, in plain loops', () => {
    // What feed.wgsl does, step by step: subgroup s loads its four left and four right tiles at depth (step mod 2)·16.
    const inputs: FeedInputs = feedInputs(new Random(3), 2);
    const shape = { workgroups: 3, iterations: 3 };
    const value = (bits: Uint16Array, i: number) => fromHalfBits(bits[i]!);
    const whole = new Float64Array(shape.workgroups * BLOCK.m * BLOCK.n);
    for (let w = 0; w < shape.workgroups; w++) {
      const pair = w % 2;
      for (let s = 0; s < 4; s++) {
        const [row0, col0] = [64 * Math.floor(s / 2), 64 * (s % 2)];
        for (let step = 0; step < shape.iterations; step++) {
          const depth = (step % 2) * 16;
          for (let r = row0; r < row0 + 64; r++) {
            for (let c = col0; c < col0 + 64; c++) {
              let sum = 0;
              for (let k = depth; k < depth + 16; k++) sum += value(inputs.a, (pair * BLOCK.m + r) * BLOCK.k + k) * value(inputs.b, (pair * BLOCK.k + k) * BLOCK.n + c);
              whole[(w * BLOCK.m + r) * BLOCK.n + c]! += sum;
            }
          }
        }
      }
    }
    expect(feedReference(inputs, shape)).toEqual(whole);
    // Listed rows are those rows of the whole.
    const rows = [0, 63, 64, 200, 383];
    expect(feedReference(inputs, shape, rows)).toEqual(Float64Array.from(rows.flatMap((r) => [...whole.subarray(r * BLOCK.n, (r + 1) * BLOCK.n)])));
  });

  it('refuses, in words, a device without subgroup matrices, one whose workgroups are too small, and shapes it cannot run', () => {
    const shape = { workgroups: 1056, iterations: 2048 };
    expect(feedRefusal({ features: new Set(['shader-f16']), limits: H100_LIMITS }, shape)).toMatch(/does not offer subgroup matrices/);
    expect(feedRefusal({ features: MATRIX_FEATURES, limits: H100_LIMITS, subgroupMaxSize: 32 }, shape)).toBeNull();
    expect(feedRefusal({ features: MATRIX_FEATURES, limits: { ...H100_LIMITS, maxComputeWorkgroupStorageSize: 16384 }, subgroupMaxSize: 32 }, shape)).toBe(
      "the workgroup that feeds the matrix units from workgroup memory needs 18944 bytes of workgroup memory, beyond this device's maxComputeWorkgroupStorageSize of 16384 bytes: choose a smaller size.",
    );
    // WebGPU's largest subgroup, where the device does not say: 4 × 128 invocations.
    expect(feedRefusal({ features: MATRIX_FEATURES, limits: { ...H100_LIMITS, maxComputeInvocationsPerWorkgroup: 256 } }, shape)).toMatch(/needs 512 invocations per workgroup/);
    expect(feedRefusal({ features: MATRIX_FEATURES, limits: H100_LIMITS }, { workgroups: 1, iterations: MAX_ITERATIONS + 1 })).toMatch(/steps must be a whole number from 1 to 65535/);
    expect(feedRefusal({ features: MATRIX_FEATURES, limits: H100_LIMITS }, { workgroups: 1.5, iterations: 4 })).toMatch(/workgroups must be a positive integer/);
    expect(feedRefusal({ features: MATRIX_FEATURES, limits: { ...H100_LIMITS, maxStorageBufferBindingSize: 2 ** 26 } }, shape)).toMatch(/the fed matrix units’ output needs 66 MiB/);
  });
});

const gpu = await compileOnlyGpu();

describe.skipIf(!gpu?.features.has('chromium-experimental-subgroup-matrix'))("the feed kernel through Dawn's shader validation", () => {
  // The null backend's largest subgroup is 128, so its 512 invocations and 18944 bytes exceed that device's
  // workgroup (the conformance test skips it there): the shader alone is validated.
  it('compiles without errors or warnings', async () => {
    const { device } = gpu!;
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ label: 'feed', code: feedSource });
    const messages = (await module.getCompilationInfo()).messages.filter((message) => message.type !== 'info');
    const error = await device.popErrorScope();
    expect([...messages.map((message) => `${message.lineNum}:${message.linePos} ${message.message}`), ...(error ? [error.message] : [])]).toEqual([]);
  });

  it('binds the buffers the family makes, in a pipeline shrunk to fit that device', async () => {
    // Blocks of 16 rows and one subgroup of 128: the same bindings, within 256 invocations and 16 KiB.
    const { device } = gpu!;
    const code = feedSource.replace('array<f16, BM * A_STRIDE>', 'array<f16, 16u * A_STRIDE>').replace('array<f16, BK * B_STRIDE>', 'array<f16, 16u * B_STRIDE>');
    const shape = { workgroups: 3, iterations: 5 };
    await withScopes(device, async () => {
      const resources = new Resources({ gpu: gpu! }, 'feed bindings');
      try {
        const version = feed.versions[0]!;
        const buffers = feed.buffers(resources, shape, feed.inputs(shape, new Random(1), version), version, {});
        const pipeline = device.createComputePipeline({ label: 'feed shrunk', layout: 'auto', compute: { module: device.createShaderModule({ code }), constants: { THREADS: 128 } } });
        const bindGroup = bindBuffers(device, pipeline, 'feed shrunk', [buffers['params']!, buffers['a']!, buffers['b']!, buffers['output']!]);
        const encoder = device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bindGroup);
        pass.dispatchWorkgroups(shape.workgroups);
        pass.end();
        device.queue.submit([encoder.finish()]);
      } finally {
        resources.destroy();
      }
    });
  });
});
