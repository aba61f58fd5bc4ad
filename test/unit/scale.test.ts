// A model's speed of light as its batch and context grow (src/models/scale.ts), on the reference H100's ceilings.
import { describe, expect, it } from 'vitest';
import { modelById } from '../../src/data/models';
import { DEFAULT_MODE, opGraph } from '../../src/models/graph';
import { batchSweep, contextSweep, scaleMarks, SWEPT_BATCHES, sweptContexts } from '../../src/models/scale';
import { speedOfLight } from '../../src/models/speed';
import { references } from '../../src/lib/reference';

const llama = modelById('llama-3-8b')!;
const ceilings = references.find((ref) => ref.id === 'h100')!.file.ceilings!;

describe("a model's speed of light against batch and context", () => {
  it('sweeps batches 1 to 256 at the mode\'s context, each point the page\'s own bound', () => {
    const sweep = batchSweep(llama, DEFAULT_MODE, ceilings);
    expect(sweep.map((p) => p.x)).toEqual(SWEPT_BATCHES);
    expect(SWEPT_BATCHES.at(-1)).toBe(256);
    const one = speedOfLight(opGraph(llama, { ...DEFAULT_MODE, batch: 1 }), ceilings);
    expect(sweep[0]!.stepSeconds).toBe(one.stepSeconds);
    // A bigger batch reads the weights once for more tokens: more tokens a second, each step no shorter.
    for (let i = 1; i < sweep.length; i++) {
      expect(sweep[i]!.tokensPerSecond).toBeGreaterThan(sweep[i - 1]!.tokensPerSecond);
      expect(sweep[i]!.stepSeconds).toBeGreaterThanOrEqual(sweep[i - 1]!.stepSeconds);
    }
  });

  it('sweeps contexts from 256 to at least 8× the mode\'s, each step longer than the one before', () => {
    expect(sweptContexts(llama, DEFAULT_MODE)).toEqual([256, 512, 1024, 2048, 4096, 8192, 16384, 32768]);
    // Far enough to show where one sequence's cache outweighs the weights, and never past 1M.
    expect(sweptContexts(llama, DEFAULT_MODE, 122_000).at(-1)).toBe(262_144);
    expect(sweptContexts(llama, DEFAULT_MODE, 2 ** 21).at(-1)).toBe(2 ** 20);
    const sweep = contextSweep(llama, DEFAULT_MODE, ceilings);
    for (let i = 1; i < sweep.length; i++) expect(sweep[i]!.stepSeconds).toBeGreaterThan(sweep[i - 1]!.stepSeconds);
  });

  it('marks where the caches outweigh the weights and where the products turn compute-bound', () => {
    const graph = opGraph(llama, DEFAULT_MODE);
    const perSequence = graph.totals.weightBytes / graph.totals.kvBytesPerToken;
    // Llama-3-8B in f16: 16 GB of weights, 128 KiB of cache a token: one sequence's cache outweighs them past ~122K tokens.
    expect(perSequence).toBeGreaterThan(120_000);
    const marks = scaleMarks(llama, { ...DEFAULT_MODE, batch: 8 }, ceilings);
    expect(marks.cacheContext).toBe(Math.ceil(Math.ceil(perSequence) / 8));
    expect(marks.cacheBatch).toBe(Math.ceil(Math.ceil(perSequence) / DEFAULT_MODE.tokens));
    // The products' FLOPs a weight grow with the batch; on the H100 they pass its matrix rate over its bandwidth.
    expect(marks.computeBatch).not.toBeNull();
    expect(marks.computeBatch!).toBeGreaterThan(8);
  });
});
