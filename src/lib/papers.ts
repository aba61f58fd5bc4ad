// Reads the papers collection once for every page: sorted, with the `related` links checked both ways.
import { getCollection, type CollectionEntry } from 'astro:content';
import { CATEGORIES, STATUSES, type Category, type Status } from '../schemas/paper';
import { checkRelated } from './check-related';

export type Paper = CollectionEntry<'papers'>;

let cache: Promise<Paper[]> | undefined;

/** All papers, newest publication first, after checking their related links. */
export function getPapers(): Promise<Paper[]> {
  cache ??= getCollection('papers').then((papers) => {
    checkRelated(papers);
    return papers.sort((a, b) => b.data.published.localeCompare(a.data.published) || a.id.localeCompare(b.id));
  });
  return cache;
}

/** Papers that list `paper` as related, and those it lists: the links both ways, without duplicates. */
export function relatedBothWays(paper: Paper, papers: Paper[]): Paper[] {
  const byId = new Map(papers.map((p) => [p.id, p]));
  const ids = new Set([
    ...paper.data.related.map((ref) => ref.id),
    ...papers.filter((p) => p.data.related.some((ref) => ref.id === paper.id)).map((p) => p.id),
  ]);
  ids.delete(paper.id);
  return [...ids].map((id) => byId.get(id)!).sort((a, b) => a.data.shortTitle.localeCompare(b.data.shortTitle));
}

export function countByStatus(papers: Paper[]): Record<Status, number> {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>;
  for (const paper of papers) counts[paper.data.status] += 1;
  return counts;
}

export function groupByCategory(papers: Paper[]): { category: Category; label: string; papers: Paper[] }[] {
  return (Object.keys(CATEGORIES) as Category[])
    .map((category) => ({ category, label: CATEGORIES[category], papers: papers.filter((p) => p.data.category === category) }))
    .filter((group) => group.papers.length > 0);
}

export function allTags(papers: Paper[]): { tag: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const paper of papers) for (const tag of paper.data.tags) counts.set(tag, (counts.get(tag) ?? 0) + 1);
  return [...counts].map(([tag, count]) => ({ tag, count })).sort((a, b) => a.tag.localeCompare(b.tag));
}

export function paperUrl(paper: { id: string }): string {
  return `/papers/${paper.id}/`;
}

export function paperLink(paper: Paper): string {
  return paper.data.arxiv ? `https://arxiv.org/abs/${paper.data.arxiv}` : paper.data.url!;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
/** `2021-06` → `June 2021`. */
export function formatYearMonth(yearMonth: string): string {
  const [year, month] = yearMonth.split('-');
  return `${MONTHS[Number(month) - 1]} ${year}`;
}

/** A BibTeX entry built from the front-matter: @misc with eprint for arXiv papers, else @inproceedings with a url. */
export function bibtex(paper: { id: string; data: Paper['data'] }): string {
  const { title, authors, published, venue, arxiv, url } = paper.data;
  const year = published.slice(0, 4);
  const surname = (authors[0] ?? 'anon').split(/\s+/).at(-1)!.toLowerCase().replace(/[^a-z]/g, '');
  const key = `${surname}${year}${paper.id.split('-')[0]!.replace(/[^a-z0-9]/g, '')}`;
  const fields: [string, string][] = [
    ['title', `{${title}}`],
    ['author', authors.join(' and ')],
    ['year', year],
  ];
  if (arxiv) fields.push(['eprint', arxiv], ['archivePrefix', 'arXiv'], ['note', venue]);
  else fields.push(['booktitle', venue], ['url', url ?? '']);
  const kind = arxiv ? 'misc' : 'inproceedings';
  return `@${kind}{${key},\n${fields.map(([k, v]) => `  ${k} = {${v}}`).join(',\n')}\n}`;
}
