// The browser host: navigator.gpu. The only module that knows it runs in a browser.
import { describeAdapter, requestFullDevice } from './adapter';
import type { AdapterInfo } from '../../schemas/results';
import { isSoftware, type GpuOutcome } from './outcome';

/**
 * A device with the useful optional features and the adapter's full limits, or the reason there is none.
 * Call again after a loss: each call asks for a new adapter and device.
 */
export async function requestBrowserGpu(options: { powerPreference?: GPUPowerPreference } = {}): Promise<GpuOutcome> {
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) {
    return {
      kind: 'no-webgpu',
      message: 'This browser has no WebGPU: recent Chrome, Edge and Safari have it (Chrome on Linux behind a flag), so the reference numbers are shown instead.',
      retry: false,
    };
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  } catch (error) {
    return { kind: 'no-adapter', message: `The browser could not find a GPU adapter: ${(error as Error).message}`, retry: true };
  }
  if (!adapter) {
    return {
      kind: 'no-adapter',
      message: 'WebGPU is here, but the browser offers no GPU adapter (it may be blocklisted or disabled in the browser settings).',
      retry: true,
    };
  }
  try {
    const context = await requestFullDevice(adapter, 'browser', 'speed of light');
    return { kind: 'ok', gpu: context, software: isSoftware(context) };
  } catch (error) {
    return { kind: 'device-failed', message: `The GPU adapter would not give a device: ${(error as Error).message}`, retry: true };
  }
}

/** What the browser's adapter says about itself, without asking for a device; null without WebGPU or an adapter. */
export async function browserAdapterInfo(): Promise<AdapterInfo | null> {
  const adapter = await (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu?.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
  return adapter ? describeAdapter(adapter) : null;
}
