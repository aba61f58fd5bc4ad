// What the verdicts of every lab share: picking one run's records out of many (a reference file holds several
// runs of a lab), and saying a claim in words.
import type { Claim } from '../schemas/claim';
import type { RunRecord } from '../schemas/results';

/** The records grouped by run, in order: a run's records are equal in every parameter but the swept ones. */
export function runsOf(records: RunRecord[], swept: string[]): RunRecord[][] {
  const runs = new Map<string, RunRecord[]>();
  for (const record of records) {
    const key = JSON.stringify(Object.entries(record.params).filter(([name]) => !swept.includes(name)).sort());
    runs.set(key, [...(runs.get(key) ?? []), record]);
  }
  return [...runs.values()];
}

/** `1.8× end-to-end decoding speedup (TEAL, abstract, arXiv 2408.14690 v1)`. */
export function saidBy(claim: Claim, paper: string): string {
  return `${claim.value}${claim.unit} ${claim.what}${claim.setting ? `, ${claim.setting}` : ''} (${paper}, ${claim.source}, ${claim.version})`;
}
