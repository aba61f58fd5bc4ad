// A model's op graph from its configuration and a mode (prefill of T tokens, or decode of B sequences at context S):
// every op with its input and output shapes, the bytes of weights it reads, its FLOPs and the fewest bytes it moves,
// and the edges between them. One layer is listed (its ops marked `perLayer`); the totals count it L times.
// Conventions: a product of (rows × k) by (k × n) is 2·rows·k·n FLOPs; elementwise ops count one FLOP per element
// and step (a norm about 4 a value, an activation 4, an add 1), small enough that only their bytes matter.
import type { ModelConfig } from '../schemas/model';

export type Dtype = 'f32' | 'f16' | 'int8' | 'int4';
export const DTYPE_BYTES: Record<Dtype, number> = { f32: 4, f16: 2, int8: 1, int4: 0.5 };

export interface GraphMode {
  kind: 'decode' | 'prefill';
  /** Decode: sequences decoded together (B). Prefill: 1. */
  batch: number;
  /** Decode: tokens already in each sequence's KV cache (S). Prefill: tokens in the prompt (T). */
  tokens: number;
  /** How the weights are stored (int8 and int4 as their bytes alone, scales not counted). */
  weights: Dtype;
  /** How K and V are cached. */
  kv: Dtype;
}

/** One decode step of one sequence at a 4K context, weights and cache in f16: the mode of the published totals. */
export const DEFAULT_MODE: GraphMode = { kind: 'decode', batch: 1, tokens: 4096, weights: 'f16', kv: 'f16' };

export interface Tensor {
  name: string;
  shape: number[];
}

export type OpKind =
  | 'embedding'
  | 'norm'
  | 'matmul'
  | 'rope'
  | 'kv-append'
  | 'attention'
  | 'activation'
  | 'add'
  | 'router';

export interface OpNode {
  /** Unique in the graph: `q_proj`. */
  name: string;
  op: OpKind;
  /** What the reader calls it: `Q projection`. */
  label: string;
  inputs: Tensor[];
  outputs: Tensor[];
  /** Bytes of weights this op reads in one step (a gather reads only its rows; a mixture, only the experts used). */
  weightBytes: number;
  flops: number;
  /** The fewest bytes it must move: weights read, activations read and written, the KV cache read or written. */
  bytes: number;
  /** Whether it runs once in every layer (listed once, counted L times). */
  perLayer: boolean;
  /** A matrix product (the matrix units' work) or elementwise or memory work. */
  unit: 'matrix' | 'vector';
}

export interface Edge {
  from: string;
  to: string;
  tensor: Tensor;
}

export interface GraphTotals {
  /** Parameters, counted from the shapes. */
  params: number;
  /** Every parameter at the mode's weight type. */
  weightBytes: number;
  /** K and V of every layer for one token at the mode's KV type. */
  kvBytesPerToken: number;
  /** FLOPs per generated token in this mode (decode) or per prompt token (prefill). */
  flopsPerToken: number;
  /** Weights read, cache read and written, activations: the fewest bytes of one step. */
  bytesPerStep: number;
  flopsPerStep: number;
  /** Tokens one step produces (decode: B) or reads (prefill: T). */
  tokensPerStep: number;
}

export interface OpGraph {
  model: string;
  config: ModelConfig;
  mode: GraphMode;
  nodes: OpNode[];
  edges: Edge[];
  totals: GraphTotals;
}

/** Parameters of a configuration, counted from its shapes (every matrix, bias and norm weight). */
export function countParams(model: ModelConfig): number {
  const { hiddenSize: h, intermediateSize: inner, heads, kvHeads, headDim: dh, vocabSize: vocab } = model;
  const normWeights = model.norm === 'layernorm' ? 2 * h : h;
  const q = heads * dh;
  const kv = kvHeads * dh;
  const attention = h * q + 2 * h * kv + q * h + (model.bias.qkv ? q + 2 * kv : 0) + (model.bias.output ? h : 0);
  const mlpMatrices = (model.gated ? 3 : 2) * h * inner + (model.bias.mlp ? inner + h : 0);
  const experts = model.experts?.count ?? 1;
  const router = model.experts ? h * model.experts.count : 0;
  const layer = attention + experts * mlpMatrices + router + model.normsPerLayer * normWeights;
  const embeddings = vocab * h + (model.positions === 'learned' ? model.maxPositions * h : 0) + (model.tokenTypes ?? 0) * h;
  // A decoder ends in a norm; BERT normalizes its embeddings instead, and adds a pooler.
  const edges = normWeights + (model.pooler ? h * h + h : 0);
  const head = model.architecture === 'decoder' && !model.tiedEmbeddings ? vocab * h : 0;
  return embeddings + model.layers * layer + edges + head;
}

/** K and V of every layer for one token, in bytes. */
export const kvBytesPerToken = (model: ModelConfig, kv: Dtype = 'f16') => 2 * model.layers * model.kvHeads * model.headDim * DTYPE_BYTES[kv];

/** Experts a step reads when `tokens` tokens each pick topK of count (routing taken as uniform): the expected number. */
export function expertsRead(count: number, topK: number, tokens: number): number {
  return count * (1 - (1 - topK / count) ** tokens);
}

/** Activations are f16 in every mode (the KV cache and the weights have their own types). */
const ACT = 2;

/** The op graph of `model` in `mode`. */
export function opGraph(model: ModelConfig, mode: GraphMode = DEFAULT_MODE): OpGraph {
  const { hiddenSize: h, intermediateSize: inner, heads, kvHeads, headDim: dh, vocabSize: vocab } = model;
  const decoder = model.architecture === 'decoder';
  const decode = mode.kind === 'decode' && decoder;
  const sequences = decode ? mode.batch : 1;
  const rows = decode ? mode.batch : mode.tokens;
  // Keys each query sees: the cache and the new token (decode), or the prompt (causal on average (T+1)/2 for a decoder).
  const context = decode ? mode.tokens + 1 : mode.tokens;
  const w = DTYPE_BYTES[mode.weights];
  const e = DTYPE_BYTES[mode.kv];
  const normWeights = (model.norm === 'layernorm' ? 2 : 1) * h * ACT;
  const nodes: OpNode[] = [];
  const edges: Edge[] = [];
  const t = (name: string, ...shape: number[]): Tensor => ({ name, shape });
  const add = (node: Omit<OpNode, 'perLayer' | 'unit'> & Partial<Pick<OpNode, 'perLayer' | 'unit'>>, from: [string, Tensor][] = []) => {
    nodes.push({ perLayer: true, unit: node.op === 'matmul' || node.op === 'attention' ? 'matrix' : 'vector', ...node });
    for (const [source, tensor] of from) edges.push({ from: source, to: node.name, tensor });
  };
  const matmul = (name: string, label: string, input: [string, Tensor], outWidth: number, bias: boolean, options: { count?: number; perLayer?: boolean; rows?: number; out?: string } = {}) => {
    const r = options.rows ?? rows;
    const inWidth = input[1].shape.at(-1)!;
    const weightBytes = (options.count ?? 1) * (inWidth * outWidth + (bias ? outWidth : 0)) * w;
    const output = t(options.out ?? name.replace(/_proj$/, ''), r, outWidth);
    add({ name, op: 'matmul', label, inputs: [input[1]], outputs: [output], weightBytes, flops: 2 * r * inWidth * outWidth, bytes: weightBytes + r * (inWidth + outWidth) * ACT, ...(options.perLayer === false && { perLayer: false }) }, [input]);
    return [name, output] as [string, Tensor];
  };
  const norm = (name: string, label: string, input: [string, Tensor], perLayer = true) => {
    const output = t(`${name}ed`, ...input[1].shape);
    const count = input[1].shape.reduce((a, b) => a * b, 1);
    add({ name, op: 'norm', label, inputs: [input[1]], outputs: [output], weightBytes: normWeights, flops: 4 * count, bytes: normWeights + 2 * count * ACT, perLayer }, [input]);
    return [name, output] as [string, Tensor];
  };
  const residual = (name: string, label: string, a: [string, Tensor], b: [string, Tensor]) => {
    const output = t(name, rows, h);
    add({ name, op: 'add', label, inputs: [a[1], b[1]], outputs: [output], weightBytes: 0, flops: rows * h, bytes: 3 * rows * h * ACT }, [a, b]);
    return [name, output] as [string, Tensor];
  };

  // Embeddings: a gather of `rows` rows (and the position and token-type tables where the model has them).
  const tables = 1 + (model.positions === 'learned' ? 1 : 0) + (model.tokenTypes ? 1 : 0);
  const embedded = t('x', rows, h);
  add({ name: 'embed', op: 'embedding', label: tables > 1 ? 'Token and position embeddings' : 'Token embedding', inputs: [t('tokens', rows)], outputs: [embedded], weightBytes: tables * rows * h * w, flops: (tables - 1) * rows * h, bytes: tables * rows * h * w + rows * h * ACT + 4 * rows, perLayer: false });
  let x: [string, Tensor] = ['embed', embedded];
  if (!decoder) x = norm('embed_norm', 'Embedding norm', x, false);

  // One layer. Decoders normalize before each block (pre-norm); BERT after each residual (post-norm).
  const layerInput = x;
  const attnIn = decoder ? norm('attn_norm', 'Attention norm', layerInput) : layerInput;
  let q = matmul('q_proj', 'Q projection', attnIn, heads * dh, model.bias.qkv);
  let k = matmul('k_proj', 'K projection', attnIn, kvHeads * dh, model.bias.qkv);
  const v = matmul('v_proj', 'V projection', attnIn, kvHeads * dh, model.bias.qkv);
  if (model.positions === 'rope') {
    const qr = t('q_rot', rows, heads * dh);
    const kr = t('k_rot', rows, kvHeads * dh);
    const values = rows * (heads + kvHeads) * dh;
    add({ name: 'rope', op: 'rope', label: 'Rotary positions (q and k)', inputs: [q[1], k[1]], outputs: [qr, kr], weightBytes: 0, flops: 3 * values, bytes: 2 * values * ACT }, [q, k]);
    q = ['rope', qr];
    k = ['rope', kr];
  }
  let keys: [string, Tensor] = k;
  let values: [string, Tensor] = v;
  let attentionBytes: number;
  if (decoder) {
    // The new tokens' K and V written to the cache; attention then reads the whole cache.
    const cacheK = t('k_cache', sequences, kvHeads, decode ? context : mode.tokens, dh);
    const cacheV = t('v_cache', sequences, kvHeads, decode ? context : mode.tokens, dh);
    const written = 2 * rows * kvHeads * dh;
    add({ name: 'kv_append', op: 'kv-append', label: 'KV cache append', inputs: [k[1], v[1]], outputs: [cacheK, cacheV], weightBytes: 0, flops: 0, bytes: written * ACT + written * e }, [k, v]);
    keys = ['kv_append', cacheK];
    values = ['kv_append', cacheV];
    attentionBytes = decode ? 2 * sequences * kvHeads * context * dh * e + 2 * rows * heads * dh * ACT : 2 * rows * kvHeads * dh * e + 2 * rows * heads * dh * ACT;
  } else {
    attentionBytes = (2 * rows * heads * dh + 2 * rows * kvHeads * dh) * ACT;
  }
  // Query-key pairs: each of `rows` queries against its keys (causal prompt: (T+1)/2 on average).
  const pairs = decode ? rows * context : decoder ? (rows * (rows + 1)) / 2 : rows * rows;
  const attended = t('attn', rows, heads * dh);
  add({ name: 'attention', op: 'attention', label: 'Attention (softmax(qKᵀ/√d)·V)', inputs: [q[1], keys[1], values[1]], outputs: [attended], weightBytes: 0, flops: 4 * heads * dh * pairs, bytes: attentionBytes }, [q, keys, values]);
  let o = matmul('o_proj', 'Output projection', ['attention', attended], h, model.bias.output);
  if (model.normsPerLayer === 4) o = norm('attn_post_norm', 'Post-attention norm', o);
  let afterAttention = residual('attn_residual', 'Residual add', layerInput, o);
  if (!decoder) afterAttention = norm('attn_out_norm', 'Attention output norm', afterAttention);

  const mlpIn = decoder ? norm('mlp_norm', 'MLP norm', afterAttention) : afterAttention;
  let expertCount: number | undefined;
  if (model.experts) {
    const { count, topK } = model.experts;
    const logits = t('router_logits', rows, count);
    add({ name: 'router', op: 'router', label: `Router (top ${topK} of ${count} experts)`, inputs: [mlpIn[1]], outputs: [logits], weightBytes: h * count * w, flops: 2 * rows * h * count, bytes: h * count * w + rows * (h + count) * ACT, unit: 'matrix' }, [mlpIn]);
    expertCount = expertsRead(count, topK, rows);
  }
  // A mixture reads the experts its tokens picked, and runs topK of them a token: rows·topK rows through the MLP.
  const topK = model.experts?.topK ?? 1;
  const routed = { count: expertCount ?? 1, rows: rows * topK };
  const of = model.experts ? ` (${topK} of ${model.experts.count} experts a token)` : '';
  let hiddenAct: [string, Tensor];
  if (model.gated) {
    const gate = matmul('gate_proj', `Gate projection${of}`, mlpIn, inner, model.bias.mlp, routed);
    const up = matmul('up_proj', `Up projection${of}`, mlpIn, inner, model.bias.mlp, routed);
    const out = t('act', rows * topK, inner);
    const count = rows * topK * inner;
    add({ name: 'act_mul', op: 'activation', label: `${model.activation === 'silu' ? 'SiLU' : 'GELU'}(gate) × up`, inputs: [gate[1], up[1]], outputs: [out], weightBytes: 0, flops: 5 * count, bytes: 3 * count * ACT }, [gate, up]);
    hiddenAct = ['act_mul', out];
  } else {
    const up = matmul('up_proj', `Up projection${of}`, mlpIn, inner, model.bias.mlp, routed);
    const out = t('act', rows * topK, inner);
    add({ name: 'act', op: 'activation', label: 'GELU', inputs: [up[1]], outputs: [out], weightBytes: 0, flops: 4 * rows * topK * inner, bytes: 2 * rows * topK * inner * ACT }, [up]);
    hiddenAct = ['act', out];
  }
  let down = matmul('down_proj', `Down projection${of}`, hiddenAct, h, model.bias.mlp, routed);
  if (model.experts) {
    // Each token's topK outputs, summed back to one row by their router weights.
    const node = nodes.find((n) => n.name === 'down_proj')!;
    node.outputs = [t('down', rows, h)];
    node.bytes = node.weightBytes + rows * topK * inner * ACT + rows * h * ACT;
    down = ['down_proj', node.outputs[0]!];
  }
  if (model.normsPerLayer === 4) down = norm('mlp_post_norm', 'Post-MLP norm', down);
  let layerOut = residual('mlp_residual', 'Residual add', afterAttention, down);
  if (!decoder) layerOut = norm('mlp_out_norm', 'MLP output norm', layerOut);

  // After the last layer.
  if (decoder) {
    // Logits of the tokens that are generated: every sequence's new token (decode), the prompt's last (prefill).
    const finalNorm = norm('final_norm', 'Final norm', layerOut, false);
    const lastRows = decode ? rows : 1;
    const headInput: [string, Tensor] = lastRows === rows ? finalNorm : [finalNorm[0], t('last', lastRows, h)];
    if (lastRows !== rows) {
      // The prompt's last row only: the norm's output edge carries one row.
      const normNode = nodes.find((n) => n.name === 'final_norm')!;
      normNode.outputs.push(headInput[1]);
    }
    matmul('lm_head', model.tiedEmbeddings ? 'Output head (the embedding, tied)' : 'Output head', headInput, vocab, false, { perLayer: false, rows: lastRows, out: 'logits' });
  } else if (model.pooler) {
    const first = t('first', 1, h);
    nodes.find((n) => n.name === layerOut[0])!.outputs.push(first);
    matmul('pooler', 'Pooler (first token)', [layerOut[0], first], h, true, { perLayer: false, rows: 1 });
  }

  const count = (node: OpNode) => (node.perLayer ? model.layers : 1);
  const sum = (field: 'flops' | 'bytes') => nodes.reduce((total, node) => total + count(node) * node[field], 0);
  const params = countParams(model);
  const tokensPerStep = decode ? rows : mode.tokens;
  const flopsPerStep = sum('flops');
  return {
    model: model.id,
    config: model,
    mode,
    nodes,
    edges,
    totals: {
      params,
      weightBytes: params * w,
      kvBytesPerToken: decoder ? kvBytesPerToken(model, mode.kv) : 0,
      flopsPerToken: flopsPerStep / tokensPerStep,
      bytesPerStep: sum('bytes'),
      flopsPerStep,
      tokensPerStep,
    },
  };
}
