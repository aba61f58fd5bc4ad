// This browser's measured ceilings, remembered per adapter in localStorage, so every lab, the roofline and the
// KV-cache calculator use the numbers the probe measured here. Re-measured on request.
import type { Ceilings } from '../../schemas/results';
import type { GpuContext } from '../../kernels/gpu/types';

const PREFIX = 'speed-of-light:ceilings:';
/** Fired on window whenever new ceilings are remembered. */
export const CEILINGS_EVENT = 'speed-of-light:ceilings';

function keyOf(gpu: Pick<GpuContext, 'info'>): string {
  const { vendor, architecture, device, description } = gpu.info;
  return PREFIX + [vendor, architecture, device, description].join('|');
}

export function recall(gpu: Pick<GpuContext, 'info'>): Ceilings | null {
  const text = localStorage.getItem(keyOf(gpu));
  return text ? (JSON.parse(text) as Ceilings) : null;
}

export function remember(gpu: Pick<GpuContext, 'info'>, ceilings: Ceilings): void {
  localStorage.setItem(keyOf(gpu), JSON.stringify(ceilings));
  dispatchEvent(new CustomEvent(CEILINGS_EVENT));
}

/** Every adapter's remembered ceilings, named by the adapter's description. */
export function recallAll(): { name: string; ceilings: Ceilings }[] {
  const all: { name: string; ceilings: Ceilings }[] = [];
  for (let i = 0; i < localStorage.length; i++) {
    const key = localStorage.key(i)!;
    if (!key.startsWith(PREFIX)) continue;
    const name = key.slice(PREFIX.length).split('|').filter(Boolean).at(-1) ?? 'this device';
    all.push({ name, ceilings: JSON.parse(localStorage.getItem(key)!) as Ceilings });
  }
  return all;
}
