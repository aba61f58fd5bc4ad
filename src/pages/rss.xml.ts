import rss from '@astrojs/rss';
import type { APIContext } from 'astro';
import { getPapers, paperUrl } from '../lib/papers';

export async function GET(context: APIContext) {
  const papers = await getPapers();
  return rss({
    title: 'Speed of Light: notes',
    description: 'Paper notes on LLM acceleration, with labs measured on your own GPU.',
    site: context.site!,
    items: papers.map((paper) => ({
      title: paper.data.title,
      description: paper.data.summary,
      link: paperUrl(paper),
      pubDate: new Date(`${paper.data.published}-01T00:00:00Z`),
      categories: [paper.data.category, ...paper.data.tags],
    })),
  });
}
