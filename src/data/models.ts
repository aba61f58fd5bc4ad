// The model catalogue: one JSON file per model in ./models, each checked against the schema when loaded, a
// wrong field failing the build with the file and the field named.
import { modelConfigSchema, type ModelConfig } from '../schemas/model';

const files = import.meta.glob<{ default: unknown }>('./models/*.json', { eager: true });

/** Parses one catalogue file; throws naming the file and each wrong field. */
export function parseModel(path: string, data: unknown): ModelConfig {
  const parsed = modelConfigSchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`).join('; ');
    throw new Error(`${path}: not a valid model: ${issues}`);
  }
  const file = path.split('/').at(-1)!.replace(/\.json$/, '');
  if (parsed.data.id !== file) throw new Error(`${path}: id is ${parsed.data.id}, but the file is named ${file}.json`);
  return parsed.data;
}

/** Every model, smallest first. */
export const MODELS: readonly ModelConfig[] = Object.entries(files)
  .map(([path, module]) => parseModel(path.replace('./', 'src/data/'), module.default))
  .sort((a, b) => a.publishedParams - b.publishedParams);

export function modelById(id: string): ModelConfig | undefined {
  return MODELS.find((model) => model.id === id);
}
