import { defineCollection, reference } from 'astro:content';
import { glob } from 'astro/loaders';
import { paperSchema } from './schemas/paper';

const papers = defineCollection({
  loader: glob({ pattern: '*.mdx', base: './src/content/papers' }),
  schema: paperSchema(reference('papers')),
});

export const collections = { papers };
