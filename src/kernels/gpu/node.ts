// The Node host: Dawn from the `webgpu` package, or the addon at $DAWN_NODE (a GPU machine
// without node_modules, DESIGN.md). The only module that knows it runs in Node.
import { existsSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestFullDevice } from './adapter';
import type { GpuContext } from './types';

interface DawnModule {
  create(flags: string[]): GPU;
  globals: object;
}

/**
 * Dawn's toggles: exact timestamps, f16 on NVIDIA's Vulkan driver (off by default in Dawn), and the experimental
 * features (subgroup matrices: the tensor cores) that a browser offers behind its unsafe-WebGPU flag.
 */
export const DAWN_FLAGS = ['disable-dawn-features=timestamp_quantization', 'enable-dawn-features=vulkan_enable_f16_on_nvidia,allow_unsafe_apis'];

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

/** Chromium's SwiftShader Vulkan driver (Debian's `chromium` package): the software GPU of a machine without one. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * Vulkan's window-system code (libwayland) prints "XDG_RUNTIME_DIR is invalid or not set" on every start where
 * the variable is unset (a CI machine, a headless GPU box). Nothing here draws to a window: a private empty
 * directory quiets it.
 */
function quietWaylandProbe(): void {
  process.env['XDG_RUNTIME_DIR'] ??= mkdtempSync(join(tmpdir(), 'speed-of-light-xdg-'));
}

/** A GPU's device files: a machine with none of them (CI, this project's own) has no GPU for Vulkan to find. */
function hasGpuDevice(): boolean {
  return existsSync('/dev/dri') || existsSync('/dev/nvidiactl') || existsSync('/dev/dxg');
}

/**
 * Where no Vulkan driver is named, Chromium's SwiftShader (if installed) is offered: alone on a machine without
 * a GPU (so Mesa's CPU driver, which Dawn refuses with a warning, is not asked), beside the installed drivers
 * elsewhere (Dawn ranks a CPU adapter last, so a real GPU still wins).
 */
function offerSwiftShader(): void {
  const named = ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'VK_ADD_DRIVER_FILES'].some((name) => process.env[name] !== undefined);
  if (named || !existsSync(SWIFTSHADER_ICD)) return;
  process.env[hasGpuDevice() ? 'VK_ADD_DRIVER_FILES' : 'VK_DRIVER_FILES'] = SWIFTSHADER_ICD;
}

/** A device through Dawn, or an Error saying why there is none. */
export async function requestNodeGpu(options: NodeGpuOptions = {}): Promise<GpuContext> {
  quietWaylandProbe();
  offerSwiftShader();
  const { create } = await loadDawn();
  const gpu = create([...DAWN_FLAGS, ...(options.flags ?? [])]);
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) {
    throw new Error(
      `no WebGPU adapter from Dawn: install Debian's chromium and libvulkan1 for a software GPU (SwiftShader at ` +
        `${SWIFTSHADER_ICD}), or point VK_DRIVER_FILES at a Vulkan driver's ICD file`,
    );
  }
  const context = await requestFullDevice(adapter, 'node', options.label ?? 'speed of light');
  // dawn.node lives as long as its GPU object: keep it alive with the device.
  keepAlive.set(context.device, gpu);
  return context;
}

const keepAlive = new WeakMap<GPUDevice, GPU>();
