// This browser's measured ceilings, remembered per adapter in localStorage, so every lab, the roofline and the
// KV-cache calculator use the numbers the probe measured here. Re-measured on request.
import { ceilingsSchema, type Ceilings } from '../../schemas/results';
import type { GpuContext } from '../../kernels/gpu/types';
import { formatBandwidth, formatFlopRate, formatSeconds } from '../../labs/format';

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

/** The ceilings in words: `copy 12.3 GB/s, read 14.1 GB/s, FP32 FMA 45.6 GFLOP/s and a launch floor of 13.8 µs`. */
export function ceilingsInWords(ceilings: Ceilings): string {
  const parts = [
    `copy ${formatBandwidth(ceilings.copyGBps * 1e9)}`,
    ...(ceilings.readGBps ? [`read ${formatBandwidth(ceilings.readGBps * 1e9)}`] : []),
    `FP32 FMA ${formatFlopRate(ceilings.fp32Gflops * 1e9)}`,
    ...(ceilings.f16Gflops ? [`f16 FMA ${formatFlopRate(ceilings.f16Gflops * 1e9)}`] : []),
    ...(ceilings.f16MatrixGflops
      ? [`f16 on the matrix units ${formatFlopRate(ceilings.f16MatrixGflops * 1e9)}${ceilings.f16MatrixFedGflops ? ` (${formatFlopRate(ceilings.f16MatrixFedGflops * 1e9)} fed from workgroup memory)` : ''}`]
      : []),
    ...(ceilings.launchSeconds !== undefined ? [`a launch floor of ${formatSeconds(ceilings.launchSeconds)}`] : []),
  ];
  return parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : parts[0]!;
}

/**
 * After a run of the lab that measures the ceilings (the probe), which ceilings every lab now uses on this adapter:
 * the stored ones, which /models/ and the roofline read too. `fromThisRun`: the run was large enough to stand for the
 * device and its ceilings (those its verdict lists) replaced them; else the ones measured at the default sizes stay,
 * named here, since they differ from the run's.
 */
export function ceilingsSentence(ceilings: Ceilings, fromThisRun: boolean): string {
  return fromThisRun
    ? 'Every lab on this site now bounds its points on this device by these ceilings.'
    : `A run this small does not stand for the device, so every lab keeps the ceilings measured at the default sizes: ${ceilingsInWords(ceilings)}.`;
}
