// What the verdicts of every lab share: picking one run's records out of many (a reference file holds several
// runs of a lab), saying a claim in words, judging one time against another with the run's own spread, and the
// sentence that says when a run's times are not the device's speed.
import type { Claim } from '../schemas/claim';
import type { Ceilings, RunRecord } from '../schemas/results';
import { formatBytes, formatFlopRate, formatFlops, formatPercent, formatRatio } from './format';

/** What a verdict knows of the run beyond its records. */
export interface VerdictContext {
  /** A software adapter (the GPU emulated on the CPU, as SwiftShader does) ran it. */
  software?: boolean;
  /** The ceilings the run's bounds were computed with, where known. */
  ceilings?: Ceilings | undefined;
}

/** The records grouped by run, in order: a run's records are equal in every parameter but the swept ones. */
export function runsOf(records: RunRecord[], swept: string[]): RunRecord[][] {
  const runs = new Map<string, RunRecord[]>();
  for (const record of records) {
    const key = JSON.stringify(Object.entries(record.params).filter(([name]) => !swept.includes(name)).sort());
    runs.set(key, [...(runs.get(key) ?? []), record]);
  }
  return [...runs.values()];
}

/** `1.8× faster decoding, end to end (Liu et al., abstract, arXiv 2408.14690 v1)`. */
export function saidBy(claim: Claim, paper: string): string {
  return `${claim.value}${claim.unit} ${claim.what}${claim.setting ? `, ${claim.setting}` : ''} (${paper}, ${claim.source}, ${claim.version})`;
}

/**
 * How `a`'s time stands to `b`'s, beyond the spread the run measured: slower where a's 10th percentile is above b's
 * 90th, faster where a's 90th is below b's 10th, else within the spread (the two cannot be told apart).
 */
export function timeAgainst(a: RunRecord, b: RunRecord): 'slower' | 'faster' | 'within' {
  if (a.seconds.p10 > b.seconds.p90) return 'slower';
  if (a.seconds.p90 < b.seconds.p10) return 'faster';
  return 'within';
}

/**
 * A matrix-unit kernel's rate against the rate at which WebGPU can feed the matrix units from workgroup memory (the
 * probe's fed ceiling, what a real kernel can reach): `84% of the 80.6 TFLOP/s at which WebGPU feeds the matrix
 * units from workgroup memory`. Null where the run's ceilings do not hold it (older runs, no matrix units) or the
 * record's bound is its bytes, not its arithmetic.
 */
export function ofFedRate(record: RunRecord, context: VerdictContext = {}): string | null {
  const fed = context.ceilings?.f16MatrixFedGflops;
  if (!fed || record.bound.limitedBy !== 'compute') return null;
  return `${formatPercent(record.achieved.gflops / fed)} of the ${formatFlopRate(fed * 1e9)} at which WebGPU feeds the matrix units from workgroup memory`;
}

/** An amount over another in words that hold either way: `1.46× as many bytes`, `4.00× fewer bytes`. */
export function asMany(ratio: number, noun: string): string {
  return ratio >= 1 ? `${formatRatio(ratio)} as many ${noun}` : `${formatRatio(1 / ratio)} fewer ${noun}`;
}

/**
 * Below both, a run's every point is work a GPU does in microseconds (10 µs at 10 TFLOP/s or at 1 TB/s), about what
 * launching it costs: its times are launches and waits, not the device's speed.
 */
export const TINY = { flops: 1e8, bytes: 1e7 };

/** Whether every record of a run is tiny work (TINY), as the labs' quick presets are. */
export function isTiny(records: RunRecord[]): boolean {
  return records.length > 0 && records.every((record) => record.flops < TINY.flops && record.bytes < TINY.bytes);
}

/**
 * The sentences that say a run's times are not this device's speed: when a software adapter ran it, and when its
 * sizes are tiny; none otherwise.
 */
export function caveats(records: RunRecord[], context: VerdictContext = {}): string[] {
  const sentences: string[] = [];
  if (context.software) {
    sentences.push("A software adapter ran this (the GPU emulated on the CPU): the results were checked, but the times are the CPU's, not a GPU's.");
  }
  if (isTiny(records)) {
    const flops = Math.max(...records.map((record) => record.flops));
    const bytes = Math.max(...records.map((record) => record.bytes));
    sentences.push(
      `These sizes are tiny (at most ${formatFlops(flops)} and ${formatBytes(bytes)} a run): a GPU does such work in ` +
        "microseconds, about what launching it costs, so the times are not this device's speed; the lab's default sizes measure that.",
    );
  }
  return sentences;
}

/** A verdict's sentences with the caveats of its run after them. */
export function withCaveats(sentences: string[], records: RunRecord[], context?: VerdictContext): string {
  return [...sentences, ...caveats(records, context)].join(' ');
}
