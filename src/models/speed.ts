// A model's speed of light on a device: each op of its graph takes at least the longer of its bytes over the
// device's bandwidth and its FLOPs over the rate of its unit (the ceilings the probe measured), and a step at least
// the sum over its ops. Decoding reads every weight and the whole KV cache for a few FLOPs a byte, so its floor is
// nearly (weights + cache) / bandwidth (zeux, "LLM inference speed of light", 2024).
import type { Ceilings } from '../schemas/results';
import type { ModelConfig } from '../schemas/model';
import { workTimes, type WorkTimes } from './bound';
import { DTYPE_BYTES, opGraph, type GraphMode, type OpGraph, type OpNode } from './graph';

export interface NodeBound extends WorkTimes {
  node: OpNode;
}

export interface SpeedOfLight {
  graph: OpGraph;
  nodes: NodeBound[];
  /** One step: every op, each layer's L times. */
  stepSeconds: number;
  /** Tokens a second: the step's tokens over its time. */
  tokensPerSecond: number;
  /** The step's time spent reading weights, reading and writing the KV cache, and where compute is the bound. */
  shares: { weights: number; cache: number; compute: number; other: number };
  /** Dispatches of one step if every op were one, and what the device's launch floor adds for them. */
  ops: number;
  launchSeconds: number;
}

/** The unit of a node: matrix products in f16 on the matrix units where measured, elementwise on the FMA units. */
const unitOf = (node: OpNode) => (node.unit === 'matrix' ? 'f16-matrix' : 'f16');

export function speedOfLight(graph: OpGraph, ceilings: Ceilings): SpeedOfLight {
  const layers = graph.config.layers;
  const nodes = graph.nodes.map((node): NodeBound => ({ node, ...workTimes(node.flops, node.bytes, ceilings, unitOf(node)) }));
  const times = (bound: NodeBound) => (bound.node.perLayer ? layers : 1);
  const stepSeconds = nodes.reduce((sum, bound) => sum + times(bound) * bound.seconds, 0);
  let weights = 0;
  let cache = 0;
  let compute = 0;
  for (const bound of nodes) {
    const seconds = times(bound) * bound.seconds;
    if (bound.limitedBy === 'compute') {
      compute += seconds;
    } else if (bound.node.op === 'attention' || bound.node.op === 'kv-append') {
      cache += seconds;
    } else {
      weights += (seconds * bound.node.weightBytes) / Math.max(bound.node.bytes, 1);
    }
  }
  const ops = nodes.reduce((sum, bound) => sum + times(bound), 0);
  return {
    graph,
    nodes,
    stepSeconds,
    tokensPerSecond: graph.totals.tokensPerStep / stepSeconds,
    shares: { weights: weights / stepSeconds, cache: cache / stepSeconds, compute: compute / stepSeconds, other: 1 - (weights + cache + compute) / stepSeconds },
    ops,
    launchSeconds: Math.max(0, ops - 1) * (ceilings.launchSeconds ?? 0),
  };
}

/**
 * The smallest batch (a power of two up to `most`) at which the products with the weights, together, take longer
 * to compute than to read, or null. Attention never turns: it does heads / kvHeads · 2 FLOPs a byte of the cache
 * whatever the batch, since each sequence reads its own cache.
 */
export function computeBoundBatch(model: ModelConfig, mode: GraphMode, ceilings: Ceilings, most = 4096): number | null {
  for (let batch = 1; batch <= most; batch *= 2) {
    const light = speedOfLight(opGraph(model, { ...mode, batch }), ceilings);
    const products = light.nodes.filter((bound) => bound.node.op === 'matmul' || bound.node.op === 'router');
    const times = (bound: NodeBound) => (bound.node.perLayer ? model.layers : 1);
    const computeSeconds = products.reduce((sum, bound) => sum + times(bound) * bound.computeSeconds, 0);
    const memorySeconds = products.reduce((sum, bound) => sum + times(bound) * bound.memorySeconds, 0);
    if (computeSeconds >= memorySeconds) return batch;
  }
  return null;
}

/** The context at which one sequence's KV cache holds as many bytes as the weights. */
export function cacheOutweighsWeightsAt(graph: OpGraph): number | null {
  return graph.totals.kvBytesPerToken > 0 ? Math.ceil(graph.totals.weightBytes / graph.totals.kvBytesPerToken) : null;
}

/**
 * The variants the page sets side by side: the reader's settings, every head its own KV (MHA), int8 and int4 weights
 * (where the settings are wider), and a longer context.
 */
export function variantsOf(model: ModelConfig, mode: GraphMode): { label: string; model: ModelConfig; mode: GraphMode }[] {
  const variants = [{ label: 'these settings', model, mode }];
  if (model.architecture === 'encoder') return variants;
  if (model.kvHeads < model.heads) variants.push({ label: `without GQA (${model.heads} KV heads)`, model: { ...model, kvHeads: model.heads }, mode });
  const bytes = DTYPE_BYTES[mode.weights];
  if (bytes > DTYPE_BYTES.int8) variants.push({ label: 'int8 weights', model, mode: { ...mode, weights: 'int8' } });
  if (bytes > DTYPE_BYTES.int4) variants.push({ label: 'int4 weights', model, mode: { ...mode, weights: 'int4' } });
  variants.push({ label: `context ×8 (${(mode.tokens * 8).toLocaleString('en')} tokens)`, model, mode: { ...mode, tokens: mode.tokens * 8 } });
  return variants;
}
