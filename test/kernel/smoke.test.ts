import { describe, expect, it } from 'vitest';
import { testDevice, withScopes } from './device';

const device = await testDevice();

describe.skipIf(!device)('test device', () => {
  it('runs a compute pass and reads it back', async () => {
    const d = device!;
    await withScopes(d, async () => {
      const module = d.createShaderModule({
        code: '@group(0) @binding(0) var<storage, read_write> out: array<u32>; @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) { if (id.x < arrayLength(&out)) { out[id.x] = id.x * 3u; } }',
      });
      const pipeline = d.createComputePipeline({ layout: 'auto', compute: { module } });
      const out = d.createBuffer({ size: 1000 * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
      const read = d.createBuffer({ size: 1000 * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      const encoder = d.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, d.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: out } }] }));
      pass.dispatchWorkgroups(Math.ceil(1000 / 64));
      pass.end();
      encoder.copyBufferToBuffer(out, 0, read, 0, 4000);
      d.queue.submit([encoder.finish()]);
      await read.mapAsync(GPUMapMode.READ);
      const values = new Uint32Array(read.getMappedRange().slice(0));
      read.unmap();
      expect(values[999]).toBe(2997);
      expect(values[0]).toBe(0);
    });
  });
});
