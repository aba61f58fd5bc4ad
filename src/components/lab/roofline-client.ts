// Draws every <Roofline> on the page: the reference devices, plus this device once its ceilings are known.
import type { RunRecord } from '../../schemas/results';
import { recallAll } from './ceilings-store';
import { renderRoofline, type RooflineDevice } from './plots';

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
    // At the figure's width, so text keeps its size on a phone.
    const width = Math.max(280, Math.min(960, target.clientWidth || 720));
    target.replaceChildren(renderRoofline(Plot, devices, data.points, width));
    figure.dataset.drawn = String(devices.length);
  }
}
