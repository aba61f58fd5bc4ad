// The KV cache of real models, and the decode-time bound it sets: every generated token reads the whole
// cache once, so a step cannot take less than cache bytes over memory bandwidth (zeux.io, "LLM inference
// speed of light"). Grouped-query attention divides the cache by queryHeads / kvHeads.

/** A model's attention shape, from its published configuration. */
export interface ModelConfig {
  name: string;
  layers: number;
  queryHeads: number;
  kvHeads: number;
  headDim: number;
}

/**
 * The four models of issue 5. Mistral-7B v0.1 also had a 4096-token sliding window, which would cap its
 * cache at 4K tokens; the figures here are for a cache of the whole context, as in its later versions.
 */
export const MODELS: readonly ModelConfig[] = [
  { name: 'Llama-2-7B', layers: 32, queryHeads: 32, kvHeads: 32, headDim: 128 },
  { name: 'Llama-2-70B', layers: 80, queryHeads: 64, kvHeads: 8, headDim: 128 },
  { name: 'Llama-3-8B', layers: 32, queryHeads: 32, kvHeads: 8, headDim: 128 },
  { name: 'Mistral-7B', layers: 32, queryHeads: 32, kvHeads: 8, headDim: 128 },
];

/** Contexts the note shows: 4K and 32K tokens. */
export const CONTEXTS = [4096, 32768] as const;

/** K and V of every layer for one token: 2 · layers · kvHeads · headDim · bytesPerElement (2 for fp16). */
export function kvBytesPerToken(model: ModelConfig, bytesPerElement = 2): number {
  return 2 * model.layers * model.kvHeads * model.headDim * bytesPerElement;
}

/** The same model's cache per token with one KV head per query head (MHA): what GQA saves is the ratio. */
export function mhaBytesPerToken(model: ModelConfig, bytesPerElement = 2): number {
  return kvBytesPerToken({ ...model, kvHeads: model.queryHeads }, bytesPerElement);
}

export interface KvCacheAtContext {
  tokens: number;
  /** The cache of one sequence at this context. */
  bytes: number;
  /** Reading it once at the given bandwidth: the least time attention can take per generated token. */
  boundSeconds: number;
}

export interface KvCacheRow {
  model: ModelConfig;
  /** queryHeads / kvHeads: 1 for MHA. */
  groupSize: number;
  bytesPerToken: number;
  mhaBytesPerToken: number;
  contexts: KvCacheAtContext[];
}

/** The calculator's table: each model's cache per token and at each context, and its bound at `gbps` (GB/s, 1e9 bytes). */
export function kvCacheTable(gbps: number, options: { bytesPerElement?: number; contexts?: readonly number[]; models?: readonly ModelConfig[] } = {}): KvCacheRow[] {
  if (!(gbps > 0)) throw new RangeError(`bandwidth must be a positive number of GB/s, got ${gbps}`);
  const { bytesPerElement = 2, contexts = CONTEXTS, models = MODELS } = options;
  return models.map((model) => {
    const perToken = kvBytesPerToken(model, bytesPerElement);
    return {
      model,
      groupSize: model.queryHeads / model.kvHeads,
      bytesPerToken: perToken,
      mhaBytesPerToken: mhaBytesPerToken(model, bytesPerElement),
      contexts: contexts.map((tokens) => ({ tokens, bytes: perToken * tokens, boundSeconds: (perToken * tokens) / (gbps * 1e9) })),
    };
  });
}
