// Every plot kind as a golden SVG, drawn from deterministic records in jsdom (Observable Plot's own method):
// a mismatch writes `<name>-changed.svg` beside the golden to look at; a missing golden is written once. Each drawing
// is also checked to keep its text inside its box: tick labels (by their estimated width) inside the margins, the x
// axis's title below its tick labels, and no warning from Plot (its ⚠ glyph).
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';
import * as Plot from '@observablehq/plot';
import { describe, expect, it } from 'vitest';
import { renderPlot, renderRoofline, textWidth } from '../../src/components/lab/plots';
import { decodeStep } from '../../src/labs/decode-step';
import { flashAttention } from '../../src/labs/flash-attention';
import { gemm } from '../../src/labs/gemm';
import { lora } from '../../src/labs/lora';
import { makeRecord } from '../../src/labs/record';
import { teal } from '../../src/labs/teal';
import type { PlotSpec } from '../../src/labs/types';
import type { RunRecord } from '../../src/schemas/results';

const { document } = new JSDOM('<!doctype html><body></body>').window;
const ceilings = { copyGBps: 3000, readGBps: 3200, fp32Gflops: 60_000, f16Gflops: 120_000, launchSeconds: 2e-6 };
/** The plots' font size, in px. */
const FONT = 12;

function golden(name: string, element: Element) {
  const svg = element.outerHTML;
  const path = `test/golden/${name}.svg`;
  const changed = `test/golden/${name}-changed.svg`;
  if (!existsSync(path)) writeFileSync(path, svg);
  const expected = readFileSync(path, 'utf8');
  if (svg !== expected) writeFileSync(changed, svg);
  else rmSync(changed, { force: true });
  expect(svg === expected, `${name}: the drawing changed; compare ${changed} with ${path}, and replace the golden if the change is meant`).toBe(true);
}

const translate = (element: Element | null) => {
  const match = /translate\(([-\d.e]+),([-\d.e]+)\)/.exec(element?.getAttribute('transform') ?? '');
  return match ? { x: Number(match[1]), y: Number(match[2]) } : { x: 0, y: 0 };
};

/** Each text of Plot's axes with where it is anchored in the SVG. */
function axisTexts(svg: Element, selector: string) {
  return [...svg.querySelectorAll(selector)].flatMap((group) =>
    [...group.querySelectorAll('text')].map((text) => {
      const [g, t] = [translate(group), translate(text)];
      return { text: text.textContent!, x: g.x + t.x, y: g.y + t.y };
    }),
  );
}

/** The drawing's text stays in its box at this width; returns the y tick labels, to say which were checked. */
function expectInside(element: Element, width: number): string[] {
  const svg = element.tagName.toLowerCase() === 'svg' ? element : element.querySelector(':scope > svg')!;
  expect(Number(svg.getAttribute('width'))).toBe(width);
  expect(svg.textContent, 'Plot warned (its ⚠ glyph): see its console message').not.toContain('⚠');
  // Y tick labels end 9 px left of the frame: each must start at or right of the SVG's left edge.
  const yTicks = axisTexts(svg, 'g[text-anchor="end"][font-variant="tabular-nums"]');
  expect(yTicks.length).toBeGreaterThan(1);
  for (const tick of yTicks) expect(tick.x - textWidth(tick.text), `y tick label "${tick.text}" cut at the left`).toBeGreaterThanOrEqual(0);
  // X tick labels are centred on their ticks: each within the SVG.
  const xTicks = axisTexts(svg, 'g[font-variant="tabular-nums"]:not([text-anchor])');
  expect(xTicks.length).toBeGreaterThan(1);
  for (const tick of xTicks) {
    expect(tick.x - textWidth(tick.text) / 2, `x tick label "${tick.text}" cut at the left`).toBeGreaterThanOrEqual(0);
    expect(tick.x + textWidth(tick.text) / 2, `x tick label "${tick.text}" cut at the right`).toBeLessThanOrEqual(width);
  }
  // The x axis's title (its baseline at y, capitals 0.73 em tall) starts below the tick labels (from 0.71 em above
  // their baseline to 0.24 em below it).
  const [title] = axisTexts(svg, 'g[text-anchor="end"]:not([font-variant])').filter((t) => t.text.endsWith('→'));
  const ticksBottom = Math.max(...xTicks.map((tick) => tick.y)) + 0.95 * FONT;
  expect(title!.y - 0.76 * FONT, 'the x axis title over its tick labels').toBeGreaterThanOrEqual(ticksBottom);
  expect(title!.y).toBeLessThanOrEqual(Number(svg.getAttribute('height')));
  return yTicks.map((tick) => tick.text);
}

const timing = (median: number) => ({ seconds: { median, p10: median, p90: median, n: 20 }, method: 'timestamp' as const });
const checked = { maxRelError: 1e-7, ok: true };

/** TEAL-like records: dense flat, sparse falling towards 1/(1 − s) of it, the error growing. */
function tealRecords(scale: number): RunRecord[] {
  return [0, 50, 90].flatMap((sparsity) => {
    const dense = 45e-6 * scale;
    const sparse = dense / (1 + (sparsity / 100) * 3);
    const common = { lab: 'teal', params: { dIn: 4096, dOut: 11008, sparsity }, ceilings, check: checked, unit: 'fp32' as const, extraDispatches: 1 };
    const kept = Math.round(4096 * (1 - sparsity / 100));
    return [
      makeRecord({ ...common, variant: 'dense', timing: timing(dense), flops: 2 * 4096 * 11008, bytes: 4096 * 11008 * 4, extra: { speedup: 1, relError: 0 } }),
      makeRecord({ ...common, variant: 'sparse', timing: timing(sparse), flops: 2 * kept * 11008, bytes: kept * 11008 * 4, extra: { speedup: dense / sparse, relError: 0.2 * sparsity / 50 } }),
    ];
  });
}

/** GEMM-like records from 20 µs to 100 ms: the case whose "100.00 ms" showed as "00.00 ms". */
function gemmRecords(): RunRecord[] {
  return [256, 1024, 4096].flatMap((size) =>
    [['naive', 60], ['tiled', 8]].map(([variant, slowdown]) => {
      const flops = 2 * size ** 3;
      const seconds = Math.min(0.1, (flops / 60e12) * Number(slowdown) + 2e-5);
      return makeRecord({ lab: 'gemm', variant: String(variant), params: { size }, timing: timing(seconds), flops, bytes: 3 * size * size * 4, ceilings, check: checked, unit: 'fp32', extraDispatches: 0 });
    }),
  );
}

/** FlashAttention-like traffic from 1 MB to 17 GB, all kernels bounded by the same fewest bytes. */
function flashRecords(): RunRecord[] {
  return [256, 4096, 32768].flatMap((seqLen) => {
    const bytes = 8 * seqLen * 128 * 4;
    return [['naive', seqLen / 256], ['tiled', 2]].map(([variant, factor]) =>
      makeRecord({
        lab: 'flash-attention',
        variant: String(variant),
        params: { seqLen },
        timing: timing((bytes * Number(factor)) / 2e12),
        flops: 4 * 8 * seqLen * seqLen * 128,
        bytes,
        ceilings,
        check: checked,
        unit: 'fp32',
        extraDispatches: 0,
        extra: { bytesMoved: bytes * Number(factor) },
      }),
    );
  });
}

/** LoRA's quick run: ranks 4 and 12 at 1 and 37 tokens, each order's time and FLOPs over the base layer's. */
function loraRecords(): RunRecord[] {
  const orders: [string, number, number][] = [['base', 1, 1], ['unmerged', 1.2, 1.5], ['fused', 1.1, 1.3], ['x(AB)', 3, 2.2], ['merged', 1, 0.92], ['backward', 2, 2.5]];
  return [4, 12].flatMap((rank) =>
    [1, 37].flatMap((tokens) =>
      orders.map(([variant, flopsOverBase, timeOverBase]) => {
        const seconds = (40e-6 + tokens * 1e-6) * timeOverBase * (1 + rank / 100);
        const flops = 2 * tokens * 72 * 40 * flopsOverBase;
        return makeRecord({
          lab: 'lora',
          variant,
          params: { tokens, dIn: 72, dOut: 40, rank, dtype: 'f32' },
          timing: timing(seconds),
          flops,
          bytes: 72 * 40 * 4,
          ceilings,
          check: checked,
          unit: 'fp32',
          extraDispatches: 2,
          extra: { flopsOverBase, timeOverBase: timeOverBase * (1 + rank / 100) },
        });
      }),
    ),
  );
}

/** The decode step's quick run: one context, so every series is a single point; the head carries the step's figures. */
function decodeRecords(): RunRecord[] {
  const layer = 41_998e-6;
  const head = 3e-3;
  const step = 2 * layer + head;
  const common = { lab: 'decode-step', params: { model: 'tiny', batch: 2, context: 37, weights: 'f16', kv: 'f16' }, ceilings, check: checked, unit: 'fp32' as const };
  return [
    makeRecord({ ...common, variant: 'layer', timing: timing(layer), flops: 2e6, bytes: 8e6, extraDispatches: 10, extra: { layersChained: 4, idealSeconds: 8e-5 } }),
    makeRecord({
      ...common,
      variant: 'output head',
      timing: timing(head),
      flops: 1e6,
      bytes: 4e6,
      extraDispatches: 1,
      extra: { layers: 2, stepSeconds: step, tokensPerSecond: 2 / step, speedOfLightTokensPerSecond: 2 / 3e-4, fractionOfSpeedOfLight: 3e-4 / step },
    }),
  ];
}

const specOf = (plots: PlotSpec[], id: string) => plots.find((spec) => spec.id === id)!;

/** The stroke colours of the lines (and bound strokes) whose tooltip is `title`. */
const strokesOf = (plot: Element, title: string) =>
  [...plot.querySelectorAll('path')].filter((path) => path.querySelector('title')?.textContent === title).map((path) => path.getAttribute('stroke'));

describe('plots as golden SVGs, their text inside their box', () => {
  for (const spec of teal.plots) {
    it(`teal ${spec.id}: the reader's series, their bounds, a reference GPU in grey and the guides`, () => {
      const plot = renderPlot(Plot, spec, tealRecords(1), [{ device: 'Reference GPU 1', records: tealRecords(0.6) }], 720, document);
      expectInside(plot, 720);
      golden(`teal-${spec.id}`, plot);
    });
  }

  it('a lab plot before any run, on a phone: the reference alone, labelled, with its bounds', () => {
    const plot = renderPlot(Plot, teal.plots[0]!, [], [{ device: 'Reference GPU 1', records: tealRecords(1) }], 360, document);
    expectInside(plot, 360);
    expect(plot.textContent).toContain('GPU 1: sparse');
    golden('teal-time-reference-only', plot);
  });

  it('a time plot from 20 µs to 100 ms on a phone: ticks in ms, titled so, none cut', () => {
    const plot = renderPlot(Plot, specOf(gemm.plots, 'time'), gemmRecords(), [], 390, document);
    expect(expectInside(plot, 390)).toContain('100');
    expect(plot.textContent).toContain('Time (ms)');
    golden('gemm-time-390', plot);
  });

  it('a bytes axis in GB, with the bound every kernel shares drawn once', () => {
    const plot = renderPlot(Plot, specOf(flashAttention.plots, 'traffic'), flashRecords(), [], 390, document);
    expectInside(plot, 390);
    expect(plot.textContent).toContain('Bytes moved (GB)');
    expect(plot.textContent).toContain('Dashed: the bound, the same for every line.');
    golden('flash-attention-traffic-390', plot);
  });

  it('LoRA\'s ratios as one panel a rank, one colour a variant with its bound dashed in it, on a phone', () => {
    const plot = renderPlot(Plot, specOf(lora.plots, 'order'), loraRecords(), [], 390, document);
    expectInside(plot, 390);
    expect([...plot.querySelectorAll('text')].map((t) => t.textContent)).toEqual(expect.arrayContaining(['r = 4', 'r = 12']));
    // The legend: each variant once (unmerged, fused, x(AB), merged, backward), not once per rank and bound.
    expect(plot.querySelectorAll('[class$="-swatch"]')).toHaveLength(5);
    // Each variant its own colour, its bound dashed in the same one, in both panels.
    const variants = ['unmerged', 'fused', 'x(AB)', 'merged', 'backward'];
    for (const variant of variants) {
      expect(new Set([...strokesOf(plot, variant), ...strokesOf(plot, `${variant}, bound`)]).size, variant).toBe(1);
      expect(strokesOf(plot, `${variant}, bound`)).toHaveLength(2);
    }
    expect(new Set(variants.flatMap((variant) => strokesOf(plot, variant))).size).toBe(5);
    golden('lora-order-faceted-390', plot);
  });

  it('LoRA\'s times as one panel a rank at a desk\'s width', () => {
    const plot = renderPlot(Plot, specOf(lora.plots, 'time'), loraRecords(), [], 960, document);
    expectInside(plot, 960);
    golden('lora-time-faceted-960', plot);
  });

  it('the decode step\'s tokens a second: a whole step\'s point against its speed of light, drawn though single', () => {
    const plot = renderPlot(Plot, specOf(decodeStep.plots, 'tokens'), decodeRecords(), [], 390, document);
    expectInside(plot, 390);
    const titles = [...plot.querySelectorAll('title')].map((t) => t.textContent);
    expect(titles).toContain('a whole step');
    expect(titles).toContain('a whole step, bound');
    expect(titles.join()).not.toContain('output head');
    expect(plot.textContent).toContain('A short stroke: the bound.');
    golden('decode-step-tokens-390', plot);
  });

  it('the decode step\'s times, single points with their bounds as ticks', () => {
    const plot = renderPlot(Plot, specOf(decodeStep.plots, 'time'), decodeRecords(), [], 390, document);
    expectInside(plot, 390);
    golden('decode-step-time-390', plot);
  });

  it('the roofline: the reader\'s device solid, a reference GPU dashed, ceilings labelled, points coloured by variant', () => {
    const devices = [{ name: 'yours', yours: true, ...ceilings }, { name: 'Reference GPU 1', ...ceilings, fp32Gflops: 50_000, f16MatrixGflops: 600_000 }];
    const plot = renderRoofline(Plot, devices, [{ name: 'yours', records: tealRecords(1) }], 720, document);
    expectInside(plot, 720);
    // A variant's points take the colour of its line on the lab's plots.
    const sparse = strokesOf(renderPlot(Plot, teal.plots[0]!, tealRecords(1), [], 720, document), 'sparse')[0];
    const dots = [...plot.querySelectorAll('path, circle')].filter((dot) => dot.querySelector('title')?.textContent === 'yours: sparse');
    expect(dots.length).toBe(3);
    for (const dot of dots) expect(dot.getAttribute('stroke')).toBe(sparse);
    golden('roofline', plot);
  });

  it('the roofline on a phone', () => {
    const devices = [{ name: 'yours', yours: true, ...ceilings }, { name: 'Reference GPU 1', ...ceilings, fp32Gflops: 50_000, f16MatrixGflops: 600_000 }];
    const plot = renderRoofline(Plot, devices, [{ name: 'yours', records: tealRecords(1) }, { name: 'Reference GPU 1', records: tealRecords(0.6) }], 390, document);
    expectInside(plot, 390);
    golden('roofline-390', plot);
  });
});
