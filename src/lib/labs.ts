// The labs for pages at build time: each registered lab with the paper note that embeds it.
import { labs } from '../labs/index';
import type { Lab } from '../labs/types';
import { getPapers, paperUrl, type Paper } from './papers';

/** The id of a lab's section on its page, for links to it. */
export const labAnchor = (id: string) => `lab-${id}`;

/** The pages that embed a lab no note embeds: the probe and the GEMM on /device, the decode step and the prefill on /models. */
const LAB_PAGES: Record<string, string> = { probe: '/device/', gemm: '/device/', 'decode-step': '/models/', prefill: '/models/' };

/** Each registered lab, the note that embeds it and where it is: the note's page, else its page in LAB_PAGES. */
export async function listLabs(): Promise<{ lab: Lab; paper: Paper | undefined; href: string }[]> {
  const papers = await getPapers();
  const loaded = await Promise.all(Object.values(labs).map((load) => load()));
  return loaded.map((lab) => {
    const paper = papers.find((p) => p.data.lab === lab.id);
    const page = paper ? paperUrl(paper) : LAB_PAGES[lab.id];
    if (!page) throw new Error(`lab ${lab.id}: no note names it in its front-matter and it is not in LAB_PAGES of src/lib/labs.ts; expected one of them to say where it is`);
    return { lab, paper, href: `${page}#${labAnchor(lab.id)}` };
  });
}

/** Papers whose front-matter names a lab that is not registered yet. */
export async function labsComing(): Promise<Paper[]> {
  return (await getPapers()).filter((p) => p.data.lab && !(p.data.lab in labs));
}
