// The KV cache of the catalogue's models, and the decode-time bound it sets: every generated token reads the whole
// cache once, so a step cannot take less than cache bytes over memory bandwidth (zeux.io, "LLM inference
// speed of light"). Grouped-query attention divides the cache by heads / kvHeads.
import type { ModelConfig } from '../schemas/model';
import { MODELS } from '../data/models';
import { kvBytesPerToken, type Dtype } from './graph';

/** The catalogue's decoders: the models that keep a KV cache. */
export const DECODERS: readonly ModelConfig[] = MODELS.filter((model) => model.architecture === 'decoder');

/** Contexts the note shows: 4K and 32K tokens. */
export const CONTEXTS = [4096, 32768] as const;

export { kvBytesPerToken };

/** The same model's cache per token with one KV head per query head (MHA): what GQA saves is the ratio. */
export function mhaBytesPerToken(model: ModelConfig, kv: Dtype = 'f16'): number {
  return kvBytesPerToken({ ...model, kvHeads: model.heads }, kv);
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
  /** heads / kvHeads: 1 for MHA. */
  groupSize: number;
  bytesPerToken: number;
  mhaBytesPerToken: number;
  contexts: KvCacheAtContext[];
}

/** The calculator's table: each model's cache per token and at each context, and its bound at `gbps` (GB/s, 1e9 bytes). */
export function kvCacheTable(gbps: number, options: { kv?: Dtype; contexts?: readonly number[]; models?: readonly ModelConfig[] } = {}): KvCacheRow[] {
  if (!(gbps > 0)) throw new RangeError(`bandwidth must be a positive number of GB/s, got ${gbps}`);
  const { kv = 'f16', contexts = CONTEXTS, models = DECODERS } = options;
  return models.map((model) => {
    const perToken = kvBytesPerToken(model, kv);
    return {
      model,
      groupSize: model.heads / model.kvHeads,
      bytesPerToken: perToken,
      mhaBytesPerToken: mhaBytesPerToken(model, kv),
      contexts: contexts.map((tokens) => ({ tokens, bytes: perToken * tokens, boundSeconds: (perToken * tokens) / (gbps * 1e9) })),
    };
  });
}
