// Draws every <Roofline> on the page: the reference devices, plus this device once its ceilings are known.
import type { Ceilings, RunRecord } from '../../schemas/results';
import { renderRoofline, type RooflineDevice } from './plots';

const CEILINGS_PREFIX = 'speed-of-light:ceilings:';

/** Ceilings remembered in this browser, one entry per adapter. */
function remembered(): RooflineDevice[] {
  const devices: RooflineDevice[] = [];
  for (let i = 0; i < localStorage.length; i++) {
    const key = localStorage.key(i)!;
    if (!key.startsWith(CEILINGS_PREFIX)) continue;
    const ceilings = JSON.parse(localStorage.getItem(key)!) as Ceilings;
    const description = key.slice(CEILINGS_PREFIX.length).split('|').filter(Boolean).at(-1) ?? 'this device';
    devices.push({ name: `yours (${description})`, ...ceilings });
  }
  return devices;
}

export async function drawRooflines(): Promise<void> {
  const figures = document.querySelectorAll<HTMLElement>('[data-roofline]');
  if (figures.length === 0) return;
  const Plot = await import('@observablehq/plot');
  for (const figure of figures) {
    const data = JSON.parse(figure.querySelector('[data-roofline-data]')!.textContent!) as {
      devices: RooflineDevice[];
      points: { name: string; records: RunRecord[] }[];
    };
    const devices = [...remembered(), ...data.devices];
    const target = figure.querySelector<HTMLElement>('[data-roofline-plot]')!;
    if (devices.length === 0) continue;
    target.replaceChildren(renderRoofline(Plot, devices, data.points));
    figure.dataset.drawn = String(devices.length);
  }
}
