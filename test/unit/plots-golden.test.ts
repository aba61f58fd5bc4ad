// Every plot kind as a golden SVG, drawn from deterministic records in jsdom (Observable Plot's own method):
// a mismatch writes `<name>-changed.svg` beside the golden to look at; a missing golden is written once.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';
import * as Plot from '@observablehq/plot';
import { describe, expect, it } from 'vitest';
import { renderPlot, renderRoofline } from '../../src/components/lab/plots';
import { makeRecord } from '../../src/labs/record';
import { teal } from '../../src/labs/teal';
import type { RunRecord } from '../../src/schemas/results';

const { document } = new JSDOM('<!doctype html><body></body>').window;
const ceilings = { copyGBps: 3000, readGBps: 3200, fp32Gflops: 60_000, f16Gflops: 120_000, launchSeconds: 2e-6 };

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

/** TEAL-like records: dense flat, sparse falling towards 1/(1 − s) of it, the error growing. */
function tealRecords(scale: number): RunRecord[] {
  return [0, 50, 90].flatMap((sparsity) => {
    const dense = 45e-6 * scale;
    const sparse = dense / (1 + (sparsity / 100) * 3);
    const timing = (median: number) => ({ seconds: { median, p10: median, p90: median, n: 20 }, method: 'timestamp' as const });
    const common = { lab: 'teal', params: { dIn: 4096, dOut: 11008, sparsity }, ceilings, check: { maxRelError: 1e-7, ok: true }, unit: 'fp32' as const, extraDispatches: 1 };
    const kept = Math.round(4096 * (1 - sparsity / 100));
    return [
      makeRecord({ ...common, variant: 'dense', timing: timing(dense), flops: 2 * 4096 * 11008, bytes: 4096 * 11008 * 4, extra: { speedup: 1, relError: 0 } }),
      makeRecord({ ...common, variant: 'sparse', timing: timing(sparse), flops: 2 * kept * 11008, bytes: kept * 11008 * 4, extra: { speedup: dense / sparse, relError: 0.2 * sparsity / 50 } }),
    ];
  });
}

describe('plots as golden SVGs', () => {
  for (const spec of teal.plots) {
    it(`teal ${spec.id}: the reader's series, their bounds, a reference GPU in grey and the guides`, () => {
      golden(`teal-${spec.id}`, renderPlot(Plot, spec, tealRecords(1), [{ device: 'Reference GPU', records: tealRecords(0.6) }], 720, document));
    });
  }

  it('a lab plot before any run, on a phone: the reference alone, no legend', () => {
    golden('teal-time-reference-only', renderPlot(Plot, teal.plots[0]!, [], [{ device: 'Reference GPU', records: tealRecords(1) }], 360, document));
  });

  it('the roofline: colour the unit, the reader\'s device solid, a reference GPU dashed, and a lab\'s points', () => {
    const devices = [{ name: 'yours', yours: true, ...ceilings }, { name: 'Reference GPU', ...ceilings, fp32Gflops: 50_000, f16MatrixGflops: 600_000 }];
    golden('roofline', renderRoofline(Plot, devices, [{ name: 'yours', records: tealRecords(1) }], 720, document));
  });
});
