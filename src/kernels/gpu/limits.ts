// Refusals before anything is allocated: a size beyond one of the device's limits, named with its value.
type Limits = Readonly<Record<string, number>>;

/** `1.5 GiB`, `256 KiB`, `12 B`: binary units, at most two decimals. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toFixed(2))} ${units[unit]}`;
}

function beyond(what: string, requested: string, name: string, shown: string) {
  return `${what} needs ${requested}, beyond this device's ${name} of ${shown}: choose a smaller size.`;
}

/**
 * Null when one storage buffer of `bytes` fits this device, else a message naming the limit
 * (`maxBufferSize` or `maxStorageBufferBindingSize`), its value and the requested size.
 */
export function checkBuffer(limits: Limits, bytes: number, what: string): string | null {
  const requested = `${formatBytes(bytes)} (${bytes} bytes)`;
  for (const name of ['maxBufferSize', 'maxStorageBufferBindingSize']) {
    const limit = limits[name];
    if (limit !== undefined && bytes > limit) return beyond(what, requested, name, `${formatBytes(limit)} (${limit} bytes)`);
  }
  return null;
}

/** Null when a dispatch of `count` workgroups along one dimension fits, else a message naming `maxComputeWorkgroupsPerDimension`. */
export function checkWorkgroups(limits: Limits, count: number, what: string): string | null {
  const limit = limits['maxComputeWorkgroupsPerDimension'];
  if (limit !== undefined && count > limit) {
    return beyond(what, `${count} workgroups in one dimension`, 'maxComputeWorkgroupsPerDimension', String(limit));
  }
  return null;
}

/** Null when a workgroup of `invocations` threads using `sharedBytes` of workgroup memory fits, else a message naming the limit. */
export function checkWorkgroupSize(limits: Limits, invocations: number, sharedBytes: number, what: string): string | null {
  const threads = limits['maxComputeInvocationsPerWorkgroup'];
  if (threads !== undefined && invocations > threads) {
    return beyond(what, `${invocations} invocations per workgroup`, 'maxComputeInvocationsPerWorkgroup', String(threads));
  }
  const shared = limits['maxComputeWorkgroupStorageSize'];
  if (shared !== undefined && sharedBytes > shared) {
    return beyond(what, `${sharedBytes} bytes of workgroup memory`, 'maxComputeWorkgroupStorageSize', `${shared} bytes`);
  }
  return null;
}

/** The first refusal among several checks, or null when all pass. */
export function firstRefusal(...checks: (string | null)[]): string | null {
  return checks.find((message) => message !== null) ?? null;
}
