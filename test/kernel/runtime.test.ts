import { describe, expect, it } from 'vitest';
import { createBufferFrom, createEmptyBuffer, readBuffer } from '../../src/kernels/gpu/buffers';
import { measure } from '../../src/kernels/gpu/timing';
import { Random } from '../../src/kernels/gpu/random';
import { testGpu, withScopes } from './device';

const gpu = await testGpu();

// A tiny kernel for the runtime's own tests: output[i] = input[i] * 2.
const source = /* wgsl */ `
@group(0) @binding(0) var<storage, read> input: array<f32>;        // (n) f32
@group(0) @binding(1) var<storage, read_write> output: array<f32>; // (n) f32
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {
  if (id.x < arrayLength(&input)) { output[id.x] = input[id.x] * 2.0; }
}`;

describe.skipIf(!gpu)('runtime on the test device', () => {
  const { device } = gpu!;

  function doubler(n: number) {
    const values = new Random(11).fill(new Float32Array(n), { kind: 'gaussian', mean: 0, std: 1 });
    const input = createBufferFrom(device, values, GPUBufferUsage.STORAGE, 'doubler input');
    const output = createEmptyBuffer(device, n * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'doubler output');
    const pipeline = device.createComputePipeline({
      label: 'doubler',
      layout: 'auto',
      compute: { module: device.createShaderModule({ label: 'doubler', code: source }) },
    });
    const bindGroup = device.createBindGroup({
      label: 'doubler',
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: input } },
        { binding: 1, resource: { buffer: output } },
      ],
    });
    const encode = (pass: GPUComputePassEncoder) => {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(Math.ceil(n / 64));
    };
    return { values, output, encode };
  }

  it('reports the adapter, its features and limits', () => {
    expect(gpu!.host).toBe('node');
    expect(typeof gpu!.info.isFallbackAdapter).toBe('boolean');
    expect(gpu!.limits['maxStorageBufferBindingSize']).toBeGreaterThan(0);
    expect(gpu!.limits['maxComputeWorkgroupsPerDimension']).toBeGreaterThan(0);
  });

  it('writes and reads back buffers of odd sizes', async () => {
    await withScopes(device, async () => {
      const bytes = new Uint8Array([1, 2, 3, 4, 5, 6, 7]);
      const buffer = createBufferFrom(device, bytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'seven bytes');
      expect(buffer.size).toBe(8);
      expect(new Uint8Array(await readBuffer(device, buffer, 7))).toEqual(bytes);
      buffer.destroy();
    });
  });

  for (const method of ['submit', 'timestamp'] as const) {
    const noTimestamps = method === 'timestamp' && !gpu?.features.has('timestamp-query');
    const reason = noTimestamps ? ' (skipped: this device has no `timestamp-query` feature)' : '';
    it.skipIf(noTimestamps)(`times a kernel with ${method}s and the kernel stays correct${reason}`, async () => {
      await withScopes(device, async () => {
        const n = 1000;
        const { values, output, encode } = doubler(n);
        const reps: number[] = [];
        const timing = await measure(gpu!, (pass, rep) => (reps.push(rep), encode(pass)), { warmup: 2, reps: 5, method });
        expect(timing.method).toBe(method);
        expect(timing.seconds.n).toBe(5);
        expect(timing.seconds.p10).toBeLessThanOrEqual(timing.seconds.median);
        expect(timing.seconds.median).toBeLessThanOrEqual(timing.seconds.p90);
        expect(timing.seconds.median).toBeGreaterThan(0);
        expect(reps.slice(0, 3)).toEqual([0, 1, 2]);
        const result = new Float32Array(await readBuffer(device, output, n * 4));
        expect(result).toEqual(values.map((v) => v * 2));
      });
    });
  }

  it('stops on abort', async () => {
    const { encode } = doubler(64);
    const controller = new AbortController();
    controller.abort();
    await expect(measure(gpu!, encode, { warmup: 1, reps: 3, signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});
