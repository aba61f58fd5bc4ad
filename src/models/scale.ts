// A model's speed of light as its batch and its context grow, on one device: the sweeps the model's page plots, and
// the points where they change character: where the products with the weights turn compute-bound, and where the
// sequences' KV caches come to outweigh the weights.
import type { ModelConfig } from '../schemas/model';
import type { Ceilings } from '../schemas/results';
import { opGraph, type GraphMode } from './graph';
import { cacheOutweighsWeightsAt, computeBoundBatch, speedOfLight } from './speed';

export interface ScalePoint {
  /** The batch or the context. */
  x: number;
  /** A decoding step of the whole batch, at least. */
  stepSeconds: number;
  /** Tokens a second of the whole batch, at most. */
  tokensPerSecond: number;
}

/** Batches a sweep takes: powers of two from 1 to 256. */
export const SWEPT_BATCHES = Array.from({ length: 9 }, (_, i) => 2 ** i);

/**
 * Contexts a sweep takes: powers of two from 256 up to the largest of 8× the mode's, the model's own and twice
 * `through` (a mark the plot should show), at most 1M.
 */
export function sweptContexts(model: ModelConfig, mode: GraphMode, through: number | null = null): number[] {
  const most = Math.min(2 ** 20, Math.max(8 * mode.tokens, model.maxPositions, 256, 2 * (through ?? 0)));
  const contexts = [256];
  while (contexts.at(-1)! < most) contexts.push(2 * contexts.at(-1)!);
  return contexts;
}

const pointOf = (model: ModelConfig, mode: GraphMode, ceilings: Ceilings, x: number): ScalePoint => {
  const light = speedOfLight(opGraph(model, mode), ceilings);
  return { x, stepSeconds: light.stepSeconds, tokensPerSecond: light.tokensPerSecond };
};

/** The speed of light of a decoding step at each batch, the mode's context held. */
export function batchSweep(model: ModelConfig, mode: GraphMode, ceilings: Ceilings, batches = SWEPT_BATCHES): ScalePoint[] {
  return batches.map((batch) => pointOf(model, { ...mode, batch }, ceilings, batch));
}

/** The speed of light of a decoding step at each context, the mode's batch held. */
export function contextSweep(model: ModelConfig, mode: GraphMode, ceilings: Ceilings, contexts = sweptContexts(model, mode)): ScalePoint[] {
  return contexts.map((tokens) => pointOf(model, { ...mode, tokens }, ceilings, tokens));
}

/**
 * Where the sweeps change character: the batch from which the products with the weights are compute-bound (null if
 * not up to 256); the batch, at the mode's context, and the context, at the mode's batch, from which the sequences'
 * KV caches hold more bytes than the weights.
 */
export function scaleMarks(model: ModelConfig, mode: GraphMode, ceilings: Ceilings): { computeBatch: number | null; cacheBatch: number | null; cacheContext: number | null } {
  const perSequence = cacheOutweighsWeightsAt(opGraph(model, mode));
  return {
    computeBatch: computeBoundBatch(model, mode, ceilings, SWEPT_BATCHES.at(-1)),
    cacheBatch: perSequence === null ? null : Math.ceil(perSequence / mode.tokens),
    cacheContext: perSequence === null ? null : Math.ceil(perSequence / mode.batch),
  };
}
