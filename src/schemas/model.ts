// A model of the catalogue (src/data/models/*.json): the fields of its published configuration that set its
// shapes, each named as the reader would find it, with the configuration it was read from.
import { z } from './zod';

const positive = z.number().int().positive();

export const modelConfigSchema = z
  .object({
    /** File name without `.json`, and the page's path: `llama-3-8b`. */
    id: z.string().regex(/^[a-z0-9][a-z0-9.]*(-[a-z0-9.]+)*$/),
    /** The model's name as its authors write it: `Llama-3-8B`. */
    name: z.string().min(1),
    /** Where the numbers come from: the published configuration file, and what else was read (a model card). */
    source: z.object({ url: z.url(), note: z.string().optional() }),
    /** A decoder generates token by token with a KV cache; an encoder (BERT) reads a whole sequence at once. */
    architecture: z.enum(['decoder', 'encoder']),
    /** hidden_size (d_model). */
    hiddenSize: positive,
    /** intermediate_size: the MLP's inner width (per expert, for a mixture of experts). */
    intermediateSize: positive,
    /** num_hidden_layers. */
    layers: positive,
    /** num_attention_heads: query heads. */
    heads: positive,
    /** num_key_value_heads: heads for MHA, fewer for GQA, 1 for MQA. */
    kvHeads: positive,
    /** head_dim: hidden_size / heads unless the configuration says otherwise (Gemma 2). */
    headDim: positive,
    /** vocab_size. */
    vocabSize: positive,
    /** max_position_embeddings: the context it was trained for. */
    maxPositions: positive,
    /** Whether the output head reuses the embedding matrix (tie_word_embeddings). */
    tiedEmbeddings: z.boolean(),
    /** The normalization, and how many of them each layer has (Gemma 2 norms before and after each block: 4). */
    norm: z.enum(['rmsnorm', 'layernorm']),
    normsPerLayer: positive,
    /** The MLP's activation; `gated` when it multiplies act(x·W_gate) by x·W_up (SwiGLU, GeGLU): three matrices, not two. */
    activation: z.enum(['silu', 'gelu', 'gelu-tanh']),
    gated: z.boolean(),
    /** How positions enter: rotary (applied to q and k) or a learned table added to the embeddings. */
    positions: z.enum(['rope', 'learned']),
    /** rope_theta: the base of the rotary frequencies (rotary positions only). */
    ropeTheta: z.number().positive().optional(),
    /** Which products carry a bias: q, k and v; the attention output; the MLP's. */
    bias: z.object({ qkv: z.boolean(), output: z.boolean(), mlp: z.boolean() }),
    /** A mixture of experts: MLPs per layer, and how many each token uses (num_local_experts, num_experts_per_tok). */
    experts: z.object({ count: positive, topK: positive }).optional(),
    /** Token types (BERT's segment embeddings), if any. */
    tokenTypes: positive.optional(),
    /** BERT's pooler: one more hidden × hidden product on the first token. */
    pooler: z.boolean().optional(),
    /** Parameters as the authors report them, for the catalogue's test. */
    publishedParams: z.number().positive(),
  })
  .strict()
  .superRefine((model, ctx) => {
    if (model.heads % model.kvHeads !== 0) ctx.addIssue({ code: 'custom', path: ['kvHeads'], message: `heads (${model.heads}) must be a multiple of kvHeads (${model.kvHeads})` });
    if ((model.positions === 'rope') !== (model.ropeTheta !== undefined)) ctx.addIssue({ code: 'custom', path: ['ropeTheta'], message: 'rotary positions need rope_theta, and only they do' });
    if (model.experts && model.experts.topK > model.experts.count) ctx.addIssue({ code: 'custom', path: ['experts', 'topK'], message: 'more experts per token than experts' });
  });

export type ModelConfig = z.infer<typeof modelConfigSchema>;
