// The model catalogue, its op graphs and their speed of light: parameter counts against the published ones, KV
// bytes per token, graphs whose edges carry the same shape at both ends, a Llama-3-8B layer's decode step worked by
// hand, the bound formula on made-up ceilings, and the decode floor zeux's post derives.
import { describe, expect, it } from 'vitest';
import { MODELS, modelById, parseModel } from '../../src/data/models';
import { countParams, DEFAULT_MODE, expertsRead, kvBytesPerToken, opGraph, type GraphMode } from '../../src/models/graph';
import { cacheOutweighsWeightsAt, computeBoundBatch, speedOfLight, variantsOf } from '../../src/models/speed';
import { boundOf, workTimes } from '../../src/models/bound';
import { chainOrders, type ChainMatrix } from '../../src/lib/matrix-chain';
import { references } from '../../src/lib/reference';
import { Random } from '../../src/kernels/gpu/random';

const model = (id: string) => modelById(id)!;
const h200 = references.find((ref) => ref.id === 'h200')!.file.ceilings!;

describe('the model catalogue', () => {
  it('holds the eleven models, each file named by its id', () => {
    expect(MODELS.map((m) => m.id).sort()).toEqual(
      ['bert-base', 'gemma-2-9b', 'gpt-2', 'llama-2-13b', 'llama-2-70b', 'llama-2-7b', 'llama-3-70b', 'llama-3-8b', 'mistral-7b', 'mixtral-8x7b', 'qwen2.5-7b'],
    );
  });

  it('counts each model\'s parameters from its shapes to the precision its authors publish', () => {
    // A published count says no more than its digits: Meta's "70B" is 7 × 10¹⁰ to one digit, anything from 65B to
    // 75B, and "7B" anything from 6.5B to 7.5B, while a count given as "8.03B" is pinned to ±5M. Within half a unit of
    // the last digit given, or 0.5% where more digits are given (a count cut rather than rounded, as Qwen's 7.61B).
    const halfLastDigit = (count: number) => {
      let unit = 1;
      while (count % (unit * 10) === 0) unit *= 10;
      return unit / 2;
    };
    expect([70e9, 7e9, 13e9, 8.03e9, 124e6].map(halfLastDigit)).toEqual([5e9, 0.5e9, 0.5e9, 5e6, 0.5e6]);
    for (const m of MODELS) {
      const tolerance = Math.max(halfLastDigit(m.publishedParams), 0.005 * m.publishedParams);
      expect(Math.abs(countParams(m) - m.publishedParams), m.name).toBeLessThanOrEqual(tolerance);
    }
    // Worked by hand from the configurations. Llama-2-7B: embedding and output head 2 · 32000 · 4096, and per layer
    // q, k, v, o 4 · 4096², the MLP 3 · 4096 · 11008 and two norms of 4096, times 32, plus the final norm.
    expect(countParams(model('llama-2-7b'))).toBe(2 * 32000 * 4096 + 32 * (4 * 4096 ** 2 + 3 * 4096 * 11008 + 2 * 4096) + 4096);
    // Llama-2-70B: k and v of 8 heads of 128, q and o 8192², the MLP 3 · 8192 · 28672, 80 layers.
    expect(countParams(model('llama-2-70b'))).toBe(2 * 32000 * 8192 + 80 * (2 * 8192 ** 2 + 2 * 8192 * 1024 + 3 * 8192 * 28672 + 2 * 8192) + 8192);
    // Two catalogued to three digits.
    expect((countParams(model('llama-3-8b')) / 1e9).toFixed(2)).toBe('8.03');
    expect((countParams(model('mistral-7b')) / 1e9).toFixed(2)).toBe('7.24');
  });

  it('gives KV bytes per token as 2 · layers · KV heads · head dim · bytes', () => {
    expect(kvBytesPerToken(model('llama-2-7b'))).toBe(512 * 1024);
    expect(kvBytesPerToken(model('llama-3-8b'))).toBe(128 * 1024);
    expect(kvBytesPerToken(model('gemma-2-9b'))).toBe(2 * 42 * 8 * 256 * 2);
    expect(kvBytesPerToken(model('llama-2-70b'), 'int8')).toBe(2 * 80 * 8 * 128);
  });

  it('refuses a bad file naming the file and the field', () => {
    const good = { ...model('llama-3-8b') };
    expect(() => parseModel('src/data/models/llama-3-8b.json', { ...good, kvHeads: 5 })).toThrow(/llama-3-8b.json: .*kvHeads: heads \(32\) must be a multiple of kvHeads \(5\)/);
    expect(() => parseModel('src/data/models/llama-3-8b.json', { ...good, layers: 0 })).toThrow(/llama-3-8b.json: .*layers/);
    expect(() => parseModel('src/data/models/other.json', good)).toThrow(/id is llama-3-8b, but the file is named other.json/);
  });
});

describe('op graphs', () => {
  const modes: GraphMode[] = [DEFAULT_MODE, { ...DEFAULT_MODE, batch: 8, tokens: 1000 }, { kind: 'prefill', batch: 1, tokens: 512, weights: 'f16', kv: 'f16' }];
  for (const m of MODELS) {
    for (const mode of modes) {
      it(`${m.name}, ${mode.kind} (B=${mode.batch}, ${mode.tokens} tokens): every edge's shape is the same at both ends`, () => {
        const graph = opGraph(m, mode);
        const names = new Set(graph.nodes.map((node) => node.name));
        expect(names.size).toBe(graph.nodes.length);
        const same = (a: { name: string; shape: number[] }, b: { name: string; shape: number[] }) => a.name === b.name && a.shape.join() === b.shape.join();
        for (const edge of graph.edges) {
          const from = graph.nodes.find((node) => node.name === edge.from)!;
          const to = graph.nodes.find((node) => node.name === edge.to)!;
          expect(from.outputs.some((tensor) => same(tensor, edge.tensor)), `${edge.from} → ${edge.to} (${edge.tensor.name})`).toBe(true);
          expect(to.inputs.some((tensor) => same(tensor, edge.tensor)), `${edge.from} → ${edge.to} (${edge.tensor.name})`).toBe(true);
        }
        // Every input of every op but the embedding arrives by an edge.
        for (const node of graph.nodes.filter((n) => n.op !== 'embedding')) {
          for (const input of node.inputs) expect(graph.edges.some((edge) => edge.to === node.name && same(edge.tensor, input)), `${node.name} ${input.name}`).toBe(true);
        }
      });
    }
  }

  it('reads every weight once in a decode step of one sequence: all but the embedding table, of which one row', () => {
    const m = model('llama-3-8b');
    const graph = opGraph(m);
    const read = graph.nodes.reduce((sum, node) => sum + (node.perLayer ? m.layers : 1) * node.weightBytes, 0);
    expect(read).toBe(2 * (countParams(m) - m.vocabSize * m.hiddenSize + m.hiddenSize));
    // FLOPs: two a weight of the products, and attention's 4·H·d a cached token of every layer.
    const attention = 4 * m.layers * m.heads * m.headDim * (DEFAULT_MODE.tokens + 1);
    expect(graph.totals.flopsPerToken / (2 * (countParams(m) - m.vocabSize * m.hiddenSize) + attention)).toBeCloseTo(1, 2);
  });

  it('counts a Llama-3-8B layer\'s decode step as its published shapes give it, by hand', () => {
    const m = model('llama-3-8b');
    // One sequence at a context of 4096, weights and cache in f16 (the default mode).
    const layer = opGraph(m).nodes.filter((node) => node.perLayer);
    const total = (field: 'weightBytes' | 'flops' | 'bytes') => layer.reduce((sum, node) => sum + node[field], 0);
    // Q 4096², K and V 4096×1024 each, O 4096², gate, up and down 4096×14336 each: 218,103,808 weights; two norms of 4096.
    expect(total('weightBytes')).toBe(2 * 218_103_808 + 2 * 2 * 4096);
    // Attention reads K and V of 4097 positions (the cache and the new token), 8 heads of 128, and q and its output,
    // 32 heads of 128, all in f16.
    expect(layer.find((node) => node.op === 'attention')!.bytes).toBe(2 * 4097 * 8 * 128 * 2 + 2 * 32 * 128 * 2);
    // Two FLOPs a weight, and 4·128 for each of 32 heads at each of 4097 positions; the norms, rotary, SiLU and adds
    // add a few thousand.
    const flops = 2 * 218_103_808 + 4 * 32 * 128 * 4097;
    expect(total('flops') - flops).toBeGreaterThan(0);
    expect(total('flops') - flops).toBeLessThan(200_000);
  });

  it('reads the experts a batch picks, and runs two of eight a token', () => {
    expect(expertsRead(8, 2, 1)).toBe(2);
    expect(expertsRead(8, 2, 64)).toBeCloseTo(8, 6);
    const m = model('mixtral-8x7b');
    const gate = (batch: number) => opGraph(m, { ...DEFAULT_MODE, batch }).nodes.find((node) => node.name === 'gate_proj')!;
    expect(gate(1).weightBytes).toBe(2 * 2 * m.hiddenSize * m.intermediateSize);
    expect(gate(1).flops).toBe(2 * 2 * m.hiddenSize * m.intermediateSize);
  });
});

describe('the bound', () => {
  // Made-up ceilings: copy 2000 GB/s, read 2500, fp32 50 TFLOP/s, f16 100, no matrix units, 2 µs a launch.
  const ceilings = { copyGBps: 2000, readGBps: 2500, fp32Gflops: 50_000, f16Gflops: 100_000, launchSeconds: 2e-6 };

  it('is the longer of the bytes at the faster bandwidth and the FLOPs at the unit\'s rate, and 2 µs a dispatch after the first', () => {
    // 5 GB at 2500 GB/s: 2 ms; 1 TFLOP at 50 TFLOP/s: 20 ms.
    const times = workTimes(1e12, 5e9, ceilings, 'fp32');
    expect(times.memorySeconds).toBeCloseTo(0.002, 12);
    expect(times.computeSeconds).toBeCloseTo(0.02, 12);
    expect(times.limitedBy).toBe('compute');
    const bound = boundOf(1e12, 5e9, ceilings, 'fp32', 3);
    expect(bound.seconds).toBeCloseTo(0.02 + 6e-6, 12);
    expect(boundOf(1e9, 5e9, ceilings, 'fp32', 0)).toEqual({ seconds: 0.002, limitedBy: 'bandwidth' });
    // Unmeasured matrix units: the f16 rate stands in, 1 TFLOP in 10 ms.
    expect(workTimes(1e12, 0, ceilings, 'f16-matrix').computeSeconds).toBeCloseTo(0.01, 12);
  });
});

describe('the speed of light', () => {
  it('is about (weights + cache) / bandwidth for one sequence: zeux\'s floor, on the H200\'s measured ceilings', () => {
    const m = model('llama-3-8b');
    const light = speedOfLight(opGraph(m), h200);
    const bandwidth = Math.max(h200.copyGBps, h200.readGBps ?? 0) * 1e9;
    const floor = (2 * countParams(m) + kvBytesPerToken(m) * (DEFAULT_MODE.tokens + 1)) / bandwidth;
    expect(light.stepSeconds / floor).toBeGreaterThan(0.9);
    expect(light.stepSeconds / floor).toBeLessThan(1.02);
    expect(light.tokensPerSecond).toBeCloseTo(1 / light.stepSeconds, 6);
    expect(light.shares.weights).toBeGreaterThan(0.9);
    expect(light.shares.weights + light.shares.cache + light.shares.compute + light.shares.other).toBeCloseTo(1, 9);
  });

  it('finds the batch where decoding turns compute-bound, and the context where the cache outweighs the weights', () => {
    const m = model('llama-3-8b');
    const batch = computeBoundBatch(m, DEFAULT_MODE, h200)!;
    expect(Math.log2(batch) % 1).toBe(0);
    expect(batch).toBeGreaterThanOrEqual(32);
    expect(cacheOutweighsWeightsAt(opGraph(m))).toBe(Math.ceil((2 * countParams(m)) / (128 * 1024)));
    expect(variantsOf(m, DEFAULT_MODE).map((v) => v.label)).toEqual(['these settings', 'without GQA (32 KV heads)', 'int8 weights', 'int4 weights', 'context ×8 (32,768 tokens)']);
    // Narrower weights than the settings' own are offered; the same or wider are not.
    expect(variantsOf(m, { ...DEFAULT_MODE, weights: 'int8' }).map((v) => v.label)).toEqual(['these settings', 'without GQA (32 KV heads)', 'int4 weights', 'context ×8 (32,768 tokens)']);
  });
});

describe('the matrix-chain calculator', () => {
  /** Every bracketing's FLOPs by recursion: the brute force the dynamic programme must agree with. */
  function allCosts(dims: number[], i: number, j: number): number[] {
    if (i === j) return [0];
    const costs: number[] = [];
    for (let k = i; k < j; k++) {
      for (const left of allCosts(dims, i, k)) for (const right of allCosts(dims, k + 1, j)) costs.push(left + right + 2 * dims[i]! * dims[k + 1]! * dims[j + 1]!);
    }
    return costs;
  }
  it('agrees with brute force on random chains', () => {
    const random = new Random(5);
    for (let trial = 0; trial < 40; trial++) {
      const length = 2 + Math.floor(random.next() * 6);
      const dims = Array.from({ length: length + 1 }, () => 1 + Math.floor(random.next() * 300));
      const chain: ChainMatrix[] = dims.slice(0, -1).map((rows, i) => ({ name: `M${i + 1}`, rows, cols: dims[i + 1]! }));
      const costs = allCosts(dims, 0, length - 1);
      const orders = chainOrders(chain);
      expect(orders.cheapest.flops).toBe(Math.min(...costs));
      expect(orders.dearest.flops).toBe(Math.max(...costs));
      expect(orders.bracketings).toBe(costs.length);
    }
  });
});
