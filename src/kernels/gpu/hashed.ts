// Hashed contents made on the GPU (hashed.wgsl) and the same values recomputed on the CPU for any slice, so a lab
// can check a multi-GB KV cache or a model's weights without holding them in JS.
import fillSource from './hashed.wgsl';
import { cachedPerDevice } from './pipelines';

/** What a hashed buffer holds: f32 values, or f16 ones two to a word. */
export type HashedElement = 'f32' | 'f16';

const WORKGROUP = 256;
const MAX_WORKGROUPS = 65535;

/** hashed.wgsl's hash, in 32-bit integer arithmetic. */
function hash(x: number): number {
  const state = (Math.imul(x, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** An input filled on the GPU by fillHashed with `seed`, in place of values held in JS: the reference recomputes them. */
export interface HashedInput {
  seed: number;
}

export const isHashed = (input: ArrayLike<number> | HashedInput): input is HashedInput => 'seed' in input;

/** Element `index` of a cache filled with `seed`: a multiple of 2^-10 in [-1, 1). */
export function hashValue(index: number, seed: number): number {
  return (hash((index ^ seed) >>> 0) >>> 21) / 1024 - 1;
}

/** Elements [first, first + count) of a buffer filled with `seed` and `scale`, as the GPU holds them (f16 holds them exactly). */
export function hashValues(seed: number, first: number, count: number, scale = 1): Float32Array {
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = hashValue(first + i, seed) * scale;
  return values;
}

/**
 * Submits a fill of `buffer` (STORAGE, `elements` values of `dtype`) with values from `seed`, times `scale` (a power
 * of two, so f16 still holds them exactly).
 */
export function fillHashed(device: GPUDevice, buffer: GPUBuffer, elements: number, dtype: HashedElement, seed: number, scale = 1): void {
  if (!(scale > 0 && Number.isInteger(Math.log2(scale)))) throw new RangeError(`fillHashed: scale must be a power of two, got ${scale}`);
  const pipeline = cachedPerDevice(device, 'hashed fill', () =>
    device.createComputePipeline({
      label: 'hashed fill',
      layout: 'auto',
      compute: { module: device.createShaderModule({ label: 'hashed fill', code: fillSource }), entryPoint: 'main' },
    }),
  );
  const words = (elements * (dtype === 'f16' ? 2 : 4)) / 4;
  const rowWords = MAX_WORKGROUPS * WORKGROUP;
  const uniform = device.createBuffer({ label: 'hashed fill', size: 32, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  const fields = new ArrayBuffer(32);
  new Uint32Array(fields).set([seed, dtype === 'f16' ? 1 : 0, words, rowWords]);
  new Float32Array(fields)[4] = scale;
  device.queue.writeBuffer(uniform, 0, fields);
  const encoder = device.createCommandEncoder({ label: `fill ${buffer.label}` });
  const pass = encoder.beginComputePass({ label: `fill ${buffer.label}` });
  pass.setPipeline(pipeline);
  pass.setBindGroup(
    0,
    device.createBindGroup({
      label: 'hashed fill',
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer } },
        { binding: 1, resource: { buffer: uniform } },
      ],
    }),
  );
  pass.dispatchWorkgroups(Math.min(MAX_WORKGROUPS, Math.ceil(words / WORKGROUP)), Math.ceil(words / rowWords));
  pass.end();
  device.queue.submit([encoder.finish()]);
  uniform.destroy();
}
