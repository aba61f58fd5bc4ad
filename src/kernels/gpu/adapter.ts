// From an adapter to a GpuContext, the same on every host: the optional features that help,
// the adapter's limits in full, and what the adapter says about itself.
import type { AdapterInfo } from '../../schemas/results';
import type { GpuContext, Host } from './types';

/** Optional features that the kernels use where offered. */
export const USEFUL_FEATURES = ['timestamp-query', 'shader-f16', 'subgroups', 'chromium-experimental-subgroup-matrix'] as const;

/** The adapter's limits as plain numbers (its attributes are getters on the prototype, so spread would miss them). */
export function limitsOf(limits: GPUSupportedLimits): Record<string, number> {
  const plain: Record<string, number> = {};
  for (const key in limits) {
    const value: unknown = (limits as unknown as Record<string, unknown>)[key];
    if (typeof value === 'number') plain[key] = value;
  }
  return plain;
}

/** Adapter identity; the fallback flag lives on `info` in the newer spec, on the adapter in the older. */
export function describeAdapter(adapter: GPUAdapter): AdapterInfo {
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean; subgroupMatrixConfigs?: AdapterInfo['subgroupMatrixConfigs'] };
  const legacy = adapter as GPUAdapter & { isFallbackAdapter?: boolean };
  // The adapter lists the configurations; a device's own adapterInfo came back with none on an H200 through Dawn.
  const configs = [...(info.subgroupMatrixConfigs ?? [])].map(({ componentType, resultComponentType, M, N, K }) => ({ componentType, resultComponentType, M, N, K }));
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter: Boolean(info.isFallbackAdapter ?? legacy.isFallbackAdapter ?? false),
    ...(configs.length > 0 && { subgroupMatrixConfigs: configs }),
  };
}

/**
 * What to call an adapter: its description where that names the device (Chrome's and SwiftShader's do), else its
 * device id in words (Dawn on NVIDIA describes only the driver: `NVIDIA: 580.159.04`), else its vendor.
 */
export function adapterName(info: Pick<AdapterInfo, 'vendor' | 'architecture' | 'device' | 'description'>): string {
  const driverOnly = /^\w+: [\d.]+/.test(info.description);
  if (info.description && !driverOnly) return info.description;
  if (info.device) return info.device.replace(/-/g, ' ');
  return [info.vendor, info.architecture].filter(Boolean).join(' ') || 'an unnamed GPU';
}

/** The driver's version where the adapter's description is only that (Dawn on NVIDIA: `NVIDIA: 580.159.04 …`). */
export function adapterDriver(info: Pick<AdapterInfo, 'description'>): string | undefined {
  return /^\w+: ([\d.]+)/.exec(info.description)?.[1];
}

/** Requests a device with every useful feature the adapter offers and all of its limits. */
export async function requestFullDevice(adapter: GPUAdapter, host: Host, label: string): Promise<GpuContext> {
  const requiredFeatures = USEFUL_FEATURES.filter((feature) => adapter.features.has(feature)) as GPUFeatureName[];
  const device = await adapter.requestDevice({ label, requiredFeatures, requiredLimits: limitsOf(adapter.limits) });
  return {
    device,
    host,
    info: describeAdapter(adapter),
    features: new Set(device.features),
    limits: limitsOf(device.limits),
    lost: device.lost,
  };
}
