// The cost model of exact attention, per the FlashAttention note: O = softmax(QKᵀ·scale [+ causal mask])·V for
// B·H heads of N tokens and head dimension d, all (batch, heads, N, d) row-major.

export interface AttentionShape {
  batch: number;
  heads: number;
  seqLen: number;
  headDim: number;
  /** Query i sees keys 0..i only. */
  causal: boolean;
  /**
   * Q, K and V filled on the GPU with hashed values (multiples of 2^-10 in [-1, 1), exact in f16) that the reference
   * recomputes head by head, instead of values made in JS: for a long prompt's inputs (a model's prefill).
   */
  hashed?: boolean;
}

/** Query-key pairs one head scores: N², or N(N+1)/2 with the causal mask. */
export const pairs = ({ seqLen: n, causal }: AttentionShape) => (causal ? (n * (n + 1)) / 2 : n * n);

/** 2d FLOPs a pair for its score and 2d for its share of P·V: 4N²d a head, about half with causal. */
export const attentionFlops = (shape: AttentionShape) => 4 * shape.batch * shape.heads * shape.headDim * pairs(shape);

/** The fewest bytes: Q, K and V read once and O written once, `elementBytes` each. */
export const fewestBytes = (shape: AttentionShape, elementBytes: number) => 4 * elementBytes * shape.batch * shape.heads * shape.seqLen * shape.headDim;

/**
 * What the naive kernel moves: besides Q, K, V and O, the N×N scores written by QKᵀ, read and written back as
 * probabilities by the softmax, and read by P·V: 4N² values of `scoreBytes` a head (the note's e(4Nd + 4N²)).
 */
export const naiveBytes = (shape: AttentionShape, elementBytes: number, scoreBytes = 4) =>
  fewestBytes(shape, elementBytes) + 4 * scoreBytes * shape.batch * shape.heads * shape.seqLen * shape.seqLen;
