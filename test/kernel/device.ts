// A Dawn device on whatever adapter Node finds (SwiftShader in CI), for kernel tests.
// Each test runs inside a validation error scope (withScopes) and fails if it pops an error.
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);

let cached: Promise<GPUDevice | null> | undefined;

/** The shared test device, or null (with the reason logged) when there is no adapter. */
export function testDevice(): Promise<GPUDevice | null> {
  cached ??= (async () => {
    process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
    const gpu = create(['disable-dawn-features=timestamp_quantization']);
    const adapter = await gpu.requestAdapter();
    if (!adapter) {
      console.warn('no WebGPU adapter: kernel tests skipped (install chromium and libvulkan1 for SwiftShader)');
      return null;
    }
    const features = (['timestamp-query', 'shader-f16', 'subgroups'] as GPUFeatureName[]).filter((f) => adapter.features.has(f));
    return adapter.requestDevice({ requiredFeatures: features, label: 'kernel tests' });
  })();
  return cached;
}

/** Runs fn inside validation and out-of-memory error scopes; throws on the first error popped. */
export async function withScopes<T>(device: GPUDevice, fn: () => Promise<T>): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  const result = await fn();
  const validation = await device.popErrorScope();
  const memory = await device.popErrorScope();
  if (validation) throw new Error(`validation error: ${validation.message}`);
  if (memory) throw new Error(`out of memory: ${memory.message}`);
  return result;
}
