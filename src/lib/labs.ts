// The labs for pages at build time: each registered lab with the paper note that embeds it.
import { labs } from '../labs/index';
import type { Lab } from '../labs/types';
import { getPapers, paperUrl, type Paper } from './papers';

/** The id of a lab's section on its page, for links to it. */
export const labAnchor = (id: string) => `lab-${id}`;

/** Each registered lab, the note that embeds it and where it is: the note's page, else /device (the probe, the GEMM). */
export async function listLabs(): Promise<{ lab: Lab; paper: Paper | undefined; href: string }[]> {
  const papers = await getPapers();
  const loaded = await Promise.all(Object.values(labs).map((load) => load()));
  return loaded.map((lab) => {
    const paper = papers.find((p) => p.data.lab === lab.id);
    return { lab, paper, href: `${paper ? paperUrl(paper) : '/device/'}#${labAnchor(lab.id)}` };
  });
}

/** Papers whose front-matter names a lab that is not registered yet. */
export async function labsComing(): Promise<Paper[]> {
  return (await getPapers()).filter((p) => p.data.lab && !(p.data.lab in labs));
}
