// The Node host: Dawn from the `webgpu` package, or the addon at $DAWN_NODE (a GPU machine
// without node_modules, DESIGN.md). The only module that knows it runs in Node.
import { createRequire } from 'node:module';
import { requestFullDevice } from './adapter';
import type { GpuContext } from './types';

interface DawnModule {
  create(flags: string[]): GPU;
  globals: object;
}

/** Dawn's toggles: exact timestamps, and f16 on NVIDIA's Vulkan driver (off by default in Dawn). */
export const DAWN_FLAGS = ['disable-dawn-features=timestamp_quantization', 'enable-dawn-features=vulkan_enable_f16_on_nvidia'];

export interface NodeGpuOptions {
  powerPreference?: GPUPowerPreference;
  /** More `create()` flags for Dawn, e.g. `backend=vulkan`. */
  flags?: string[];
  label?: string;
}

let dawn: DawnModule | undefined;

async function loadDawn(): Promise<DawnModule> {
  if (!dawn) {
    const path = process.env.DAWN_NODE;
    dawn = path ? (createRequire(import.meta.url)(path) as DawnModule) : ((await import('webgpu')) as DawnModule);
    // GPUBufferUsage, GPUMapMode, ... as the browser has them.
    Object.assign(globalThis, dawn.globals);
  }
  return dawn;
}

/** Where Dawn came from: `$DAWN_NODE` or the `webgpu` package. */
export function dawnSource(): string {
  return process.env.DAWN_NODE ? `dawn.node from $DAWN_NODE` : 'webgpu package';
}

/** A device through Dawn, or an Error saying why there is none. */
export async function requestNodeGpu(options: NodeGpuOptions = {}): Promise<GpuContext> {
  const { create } = await loadDawn();
  const gpu = create([...DAWN_FLAGS, ...(options.flags ?? [])]);
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) {
    throw new Error(
      'no WebGPU adapter from Dawn: on a machine without a GPU set VK_ICD_FILENAMES to a SwiftShader ICD ' +
        '(/usr/lib/chromium/vk_swiftshader_icd.json); on NVIDIA, VK_DRIVER_FILES to the driver\'s ICD',
    );
  }
  const context = await requestFullDevice(adapter, 'node', options.label ?? 'speed of light');
  // dawn.node lives as long as its GPU object: keep it alive with the device.
  keepAlive.set(context.device, gpu);
  return context;
}

const keepAlive = new WeakMap<GPUDevice, GPU>();
