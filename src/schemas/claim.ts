import { z } from './zod';

/** A number a paper reports, with where it stands: what a lab's verdict, plots and note set a reader's run against. */
export const claimSchema = z.object({
  /** The measured quantity in the reader's words: `end-to-end decoding speedup`. */
  what: z.string().min(1),
  value: z.number(),
  /** `×`, `s`, `%`. */
  unit: z.string().min(1),
  /** The setting it holds in, by the lab's parameter names where there is one: `{ sparsity: 50 }`. */
  conditions: z.record(z.string(), z.union([z.number(), z.string()])),
  /** The setting in words, where it differs from the lab's: `T5-XXL on TPUv4, per sample`. */
  setting: z.string().optional(),
  /** Where it is printed: `abstract`, `Table 1`, `Figure 2 (left)`. */
  source: z.string().min(1),
  /** Which version of the paper says it: `arXiv 2408.14690 v1`, `EMNLP 2023`. */
  version: z.string().min(1),
});
export type Claim = z.infer<typeof claimSchema>;
