// The models the decode-step lab offers: the catalogue's that its layer builds (the Llama family's), and a tiny one
// of the same shape for a quick run.
import { MODELS } from '../../data/models';
import type { ModelConfig } from '../../schemas/model';

/** A layer small enough for a software GPU: the shapes of a Llama layer, scaled down. */
const TINY: ModelConfig = {
  id: 'tiny',
  name: 'a tiny Llama-shaped model',
  source: { url: 'https://huggingface.co/meta-llama/Meta-Llama-3-8B/blob/main/config.json', note: 'Llama-3-8B scaled down, for quick runs.' },
  architecture: 'decoder',
  hiddenSize: 256,
  intermediateSize: 512,
  layers: 4,
  heads: 8,
  kvHeads: 2,
  headDim: 32,
  vocabSize: 1024,
  maxPositions: 8192,
  tiedEmbeddings: false,
  norm: 'rmsnorm',
  normsPerLayer: 2,
  activation: 'silu',
  gated: true,
  positions: 'rope',
  ropeTheta: 500000,
  bias: { qkv: false, output: false, mlp: false },
  publishedParams: 1,
};

/** Why the decode step cannot run a model's layer (it builds the Llama family's), or null. */
export function unsupported(model: ModelConfig): string | null {
  if (model.architecture !== 'decoder') return 'it is an encoder, with no decode step';
  if (model.experts) return 'its MLP is a mixture of experts, which this step does not route';
  if (model.norm !== 'rmsnorm' || model.normsPerLayer !== 2) return 'its norms are not two RMSNorms a layer';
  if (!model.gated || model.activation !== 'silu') return 'its MLP is not a SiLU-gated one';
  if (model.positions !== 'rope') return 'its positions are not rotary';
  if (model.bias.output || model.bias.mlp) return 'its output or MLP products carry a bias';
  return null;
}

export const SUPPORTED = [TINY, ...MODELS.filter((model) => unsupported(model) === null)];

/** The model parameter of the labs that run a model's layer (the decode step, the prefill). */
export const MODEL_PARAM = {
  name: 'model',
  label: 'Model',
  kind: 'choice',
  default: 'llama-3-8b',
  choices: SUPPORTED.map((model) => ({ value: model.id, label: model.id === 'tiny' ? 'Tiny (Llama-shaped, for a quick run)' : model.name })),
} as const;

/** A supported model by its id. */
export const modelOf = (id: string) => SUPPORTED.find((model) => model.id === id)!;
