// Kept apart from papers.ts (which needs astro:content) so unit tests can call it.

/** Every `related` entry must name an existing note; Astro only logs a dangling reference, so fail the build here. */
export function checkRelated(papers: { id: string; filePath?: string | undefined; data: { related: { id: string }[] } }[]): void {
  const ids = new Set(papers.map((paper) => paper.id));
  const problems = papers.flatMap((paper) =>
    paper.data.related
      .map((ref, index) => ({ ref, index }))
      .filter(({ ref }) => !ids.has(ref.id))
      .map(({ ref, index }) => `${paper.filePath ?? paper.id}: related[${index}]: no paper note "${ref.id}" (expected one of the slugs in src/content/papers/)`),
  );
  if (problems.length) throw new Error(`Dangling related references:\n${problems.join('\n')}`);
}
