// Draws every <Roofline> on the page: the reference devices, plus this device once its ceilings are known.
import type { RunRecord } from '../../schemas/results';
import { recallAll } from './ceilings-store';
import { plotWidthOf, renderRoofline, type RooflineDevice } from './plots';

function remembered(): RooflineDevice[] {
  return recallAll().map(({ name, ceilings }) => ({ name: `yours (${name})`, yours: true, ...ceilings }));
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
    target.replaceChildren(renderRoofline(Plot, devices, data.points, plotWidthOf(target)));
    figure.dataset.drawn = String(devices.length);
  }
}
