// Two results files side by side: their records matched on (lab, variant, parameters), each pair's times, their
// ratio and each one's fraction of its own bound; what only one side has; and a file from anyone read safely.
import { resultsFileSchema, type ResultsFile, type RunRecord } from '../schemas/results';

/** The most a results file read from a drop or a link may weigh. */
export const MAX_FILE_BYTES = 5 * 1024 * 1024;

/** The key two records match on: lab, variant and every parameter (in a fixed order). */
export function matchKey(record: Pick<RunRecord, 'lab' | 'variant' | 'params'>): string {
  const params = Object.keys(record.params)
    .sort()
    .map((name) => `${name}=${record.params[name]}`);
  return [record.lab, record.variant, ...params].join('|');
}

export interface MatchedPair {
  key: string;
  lab: string;
  variant: string;
  params: RunRecord['params'];
  a: RunRecord;
  b: RunRecord;
  /** b's median time over a's: above 1, a was faster. */
  ratio: number;
}

export interface Comparison {
  /** Labs in either file, in the order first seen. */
  labs: string[];
  matched: MatchedPair[];
  onlyA: RunRecord[];
  onlyB: RunRecord[];
}

/** Matches two files' records; where a file has a point twice (merged runs), its last record stands. */
export function compareFiles(a: Pick<ResultsFile, 'records'>, b: Pick<ResultsFile, 'records'>): Comparison {
  const byKey = (records: RunRecord[]) => new Map(records.map((record) => [matchKey(record), record]));
  const left = byKey(a.records);
  const right = byKey(b.records);
  const matched: MatchedPair[] = [];
  for (const [key, record] of left) {
    const other = right.get(key);
    if (other) matched.push({ key, lab: record.lab, variant: record.variant, params: record.params, a: record, b: other, ratio: other.seconds.median / record.seconds.median });
  }
  return {
    labs: [...new Set([...a.records, ...b.records].map((record) => record.lab))],
    matched,
    onlyA: [...left].filter(([key]) => !right.has(key)).map(([, record]) => record),
    onlyB: [...right].filter(([key]) => !left.has(key)).map(([, record]) => record),
  };
}

/** Why a file of `bytes` is refused unread. */
export const tooLarge = (bytes: number) => `The file is ${(bytes / 2 ** 20).toFixed(1)} MiB; a results file may be at most ${MAX_FILE_BYTES / 2 ** 20} MiB.`;

/**
 * A results file from text anyone may have written (a dropped file, a link): refused above MAX_FILE_BYTES, or when it
 * is not JSON, or when the schema finds a field wrong, the field named. Its strings stay data: callers show them
 * as text only.
 */
export function readResultsFile(text: string): { file: ResultsFile } | { error: string } {
  if (text.length > MAX_FILE_BYTES) return { error: tooLarge(text.length) };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { error: 'The file is not JSON: export a results file from a lab (its JSON button) or from the bench (--json).' };
  }
  const parsed = resultsFileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { error: `Not a results file: ${issue.path.join('.') || 'the file'}: ${issue.message}.` };
  }
  for (const [index, record] of parsed.data.records.entries()) {
    const problem = recordProblem(record);
    if (problem) return { error: `Not a results file: records.${index}.${problem}.` };
  }
  return { file: parsed.data };
}

/** The most a record's fraction of bound may be: a point 100 times faster than its device's ceilings is not a measurement. */
export const MAX_FRACTION_OF_BOUND = 100;

/**
 * What is wrong with a record whose types are right, or null: its achieved rates and its fraction of bound must be
 * what its work, bound and median time make (a run writes them so), and the fraction at most MAX_FRACTION_OF_BOUND.
 */
export function recordProblem(record: RunRecord): string | null {
  const median = record.seconds.median;
  const derived: [field: string, formula: string, expected: number, received: number][] = [
    ['achieved.gbps', 'bytes ÷ seconds.median ÷ 1e9', record.bytes / median / 1e9, record.achieved.gbps],
    ['achieved.gflops', 'flops ÷ seconds.median ÷ 1e9', record.flops / median / 1e9, record.achieved.gflops],
    ['fractionOfBound', 'bound.seconds ÷ seconds.median', record.bound.seconds / median, record.fractionOfBound],
  ];
  for (const [field, formula, expected, received] of derived) {
    if (!Number.isFinite(expected) || Math.abs(received - expected) > 1e-6 * Math.abs(expected)) return `${field}: expected ${formula} = ${expected.toPrecision(4)}, received ${received.toPrecision(4)}`;
  }
  if (record.fractionOfBound > MAX_FRACTION_OF_BOUND) {
    return `fractionOfBound: expected at most ${MAX_FRACTION_OF_BOUND} (a point that many times faster than its device's ceilings is not a measurement), received ${record.fractionOfBound.toPrecision(4)}`;
  }
  return null;
}
