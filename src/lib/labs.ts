// The labs for pages at build time: each registered lab with the paper note that embeds it.
import { labs } from '../labs/index';
import type { Lab } from '../labs/types';
import { getPapers, type Paper } from './papers';

export async function listLabs(): Promise<{ lab: Lab; paper: Paper | undefined }[]> {
  const papers = await getPapers();
  const loaded = await Promise.all(Object.values(labs).map((load) => load()));
  return loaded.map((lab) => ({ lab, paper: papers.find((p) => p.data.lab === lab.id) }));
}

/** Papers whose front-matter names a lab that is not registered yet. */
export async function labsComing(): Promise<Paper[]> {
  return (await getPapers()).filter((p) => p.data.lab && !(p.data.lab in labs));
}
