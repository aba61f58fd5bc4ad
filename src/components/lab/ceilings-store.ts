// This browser's measured ceilings, remembered per adapter in localStorage, so every lab, the roofline and the
// KV-cache calculator use the numbers the probe measured here. Re-measured on request.
import { ceilingsSchema, type Ceilings } from '../../schemas/results';
import type { GpuContext } from '../../kernels/gpu/types';

/** v2: the ceilings gained the launch floor and the matrix rate; entries measured without them are not reused. */
const PREFIX = 'speed-of-light:ceilings:v2:';
/** Fired on window whenever new ceilings are remembered. */
export const CEILINGS_EVENT = 'speed-of-light:ceilings';

function keyOf(gpu: Pick<GpuContext, 'info'>): string {
  const { vendor, architecture, device, description } = gpu.info;
  return PREFIX + [vendor, architecture, device, description].join('|');
}

/** A stored entry, or null (and the entry dropped) when it is not what this site wrote. */
function read(key: string): { ceilings: Ceilings; at: number } | null {
  try {
    const { ceilings, at } = JSON.parse(localStorage.getItem(key) ?? 'null') as { ceilings: unknown; at: unknown };
    return { ceilings: ceilingsSchema.parse(ceilings), at: Number(at) || 0 };
  } catch {
    localStorage.removeItem(key);
    return null;
  }
}

export function recall(gpu: Pick<GpuContext, 'info'>): Ceilings | null {
  return read(keyOf(gpu))?.ceilings ?? null;
}

export function remember(gpu: Pick<GpuContext, 'info'>, ceilings: Ceilings): void {
  localStorage.setItem(keyOf(gpu), JSON.stringify({ ceilings, at: Date.now() }));
  dispatchEvent(new CustomEvent(CEILINGS_EVENT));
}

/** Every adapter's remembered ceilings, named by the adapter's description, the latest measured first. */
export function recallAll(): { name: string; ceilings: Ceilings }[] {
  const all: { name: string; ceilings: Ceilings; at: number }[] = [];
  const keys = Array.from({ length: localStorage.length }, (_, i) => localStorage.key(i)!).filter((key) => key.startsWith(PREFIX));
  for (const key of keys) {
    const entry = read(key);
    const name = key.slice(PREFIX.length).split('|').filter(Boolean).at(-1) ?? 'this device';
    if (entry) all.push({ name, ...entry });
  }
  return all.sort((a, b) => b.at - a.at).map(({ name, ceilings }) => ({ name, ceilings }));
}
