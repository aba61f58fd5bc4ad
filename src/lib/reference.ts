// Recorded results from named GPUs (src/data/reference/*.json), checked against the results schema at build time.
import { resultsFileSchema, type Ceilings, type ResultsFile, type RunRecord } from '../schemas/results';

const files = import.meta.glob<{ default: unknown }>('../data/reference/*.json', { eager: true });

export interface Reference {
  /** File name without `.json`: `h100`. */
  id: string;
  /** What to call the device in a legend: the GPU's name. */
  name: string;
  file: ResultsFile;
}

function load(): Reference[] {
  return Object.entries(files).map(([path, module]) => {
    const parsed = resultsFileSchema.safeParse(module.default);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new Error(`${path.replace('../', 'src/')}: not a valid results file: ${issues}`);
    }
    const id = path.split('/').at(-1)!.replace(/\.json$/, '');
    return { id, name: parsed.data.device.name, file: parsed.data };
  });
}

export const references: Reference[] = load();

/** The records of one lab from every reference file, with the device name to label them and its ceilings. */
export function referenceRecords(lab: string): { device: string; ceilings?: Ceilings; records: RunRecord[] }[] {
  return references
    .map((ref) => ({ device: ref.name, ...(ref.file.ceilings && { ceilings: ref.file.ceilings }), records: ref.file.records.filter((r) => r.lab === lab) }))
    .filter((ref) => ref.records.length > 0);
}
