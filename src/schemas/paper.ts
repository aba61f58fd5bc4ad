import { z } from './zod';

/** The outline's groups (seeds/001): its Categories part, then its "To Read" part. */
export const CATEGORIES = {
  'low-rank': 'Low-rank',
  block: 'Block',
  parallelization: 'Parallelization',
  infrastructure: 'Infrastructure',
  trick: 'Trick',
  rnn: 'RNN',
  'long-sequence': 'Long sequence',
  sparsity: 'Sparsity',
  pruning: 'Pruning',
  cache: 'KV cache',
  quantization: 'Quantization',
} as const;
export type Category = keyof typeof CATEGORIES;

export const STATUSES = ['to-read', 'reading', 'read'] as const;
export type Status = (typeof STATUSES)[number];
/** Each status as a reader reads it. */
export const STATUS_LABELS: Record<Status, string> = { 'to-read': 'to read', reading: 'reading', read: 'read' };

/** A year and month, as the outline gives publication dates: `2021-06`. */
const yearMonth = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected a year and month like 2021-06');
/** A calendar day: `2026-11-22`. */
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date like 2026-11-22');

/**
 * The front-matter of a paper note (`src/content/papers/<slug>.mdx`).
 * `related` is passed in: Astro's `reference('papers')` in the collection, a plain slug in unit tests.
 */
export function paperSchema<R extends z.ZodType>(related: R) {
  return z
    .object({
      /** The paper's full title, as printed. */
      title: z.string().min(1),
      /** A short name for lists and plots: `LoRA`, `FlashAttention`. */
      shortTitle: z.string().min(1).max(40),
      /** Authors in the paper's order; "et al." only where the list is truncated on purpose. */
      authors: z.array(z.string().min(1)).min(1),
      /** When the paper first appeared (arXiv v1 or proceedings), year and month. */
      published: yearMonth,
      /** Where it appeared: `ICLR 2022`, `NeurIPS 2022`, `arXiv`. */
      venue: z.string().min(1),
      /** The arXiv identifier, `2106.09685`, without a version. */
      arxiv: z.string().regex(/^\d{4}\.\d{4,5}$/, 'expected an arXiv id like 2106.09685').optional(),
      /** A link to the paper where it is not on arXiv. */
      url: z.url().optional(),
      /** The paper's code and where this notebook stands with it (the outline says e.g. "code: hold"). */
      code: z
        .object({
          /** Where the authors' (or the reference) implementation lives. */
          url: z.url().optional(),
          /** `released`: public code to read; `hold`: the outline's "code: hold", reading the code is parked; `none`: the authors released no code (as of `checked`). */
          status: z.enum(['released', 'hold', 'none']),
          /** When the status was last checked, `2024-11`. */
          checked: yearMonth.optional(),
        })
        .optional(),
      /** The outline's group this paper is filed under. */
      category: z.enum(Object.keys(CATEGORIES) as [Category, ...Category[]]),
      /** How far the reading is: `to-read` (not started), `reading`, `read`. */
      status: z.enum(STATUSES),
      /** Percent of the paper read, 0–100; 0 for `to-read`, 100 for `read`. */
      progress: z.number().int().min(0).max(100),
      /** The day reading started, if known. */
      started: day.optional(),
      /** The day reading finished, if known; only for `read`. */
      finished: day.optional(),
      /** Free topic tags, lower-case with hyphens: `attention`, `kv-cache`. */
      tags: z.array(z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'expected a lower-case tag like kv-cache')).default([]),
      /** Other notes this one builds on or answers, by slug (file name without `.mdx`). */
      related: z.array(related).default([]),
      /** The id of this paper's lab in `src/labs/index.ts`; until the lab exists the page says it is coming. */
      lab: z.string().regex(/^[a-z0-9-]+$/, 'expected a lab id like teal').optional(),
      /** One line on what the paper does, for lists and the feed. */
      summary: z.string().min(10).max(300),
    })
    .superRefine((paper, ctx) => {
      if (!paper.arxiv && !paper.url) {
        ctx.addIssue({ code: 'custom', path: ['arxiv'], message: 'expected an arXiv id or a url for the paper' });
      }
      if (paper.status === 'to-read' && paper.progress !== 0) {
        ctx.addIssue({ code: 'custom', path: ['progress'], message: `expected 0 for status to-read, received ${paper.progress}` });
      }
      if (paper.status === 'read' && paper.progress !== 100) {
        ctx.addIssue({ code: 'custom', path: ['progress'], message: `expected 100 for status read, received ${paper.progress}` });
      }
      if (paper.finished && paper.status !== 'read') {
        ctx.addIssue({ code: 'custom', path: ['finished'], message: `a finish date needs status read, received ${paper.status}` });
      }
    });
}
