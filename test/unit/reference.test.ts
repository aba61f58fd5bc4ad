// Every recorded results file passes the schema, names its GPU, and records only checked results.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resultsFileSchema } from '../../src/schemas/results';

const dir = 'src/data/reference';
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe.each(files)('reference results %s', (file) => {
  const parsed = resultsFileSchema.safeParse(JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')));

  it('passes the results schema', () => {
    expect(parsed.error?.issues ?? []).toEqual([]);
  });

  it('names its GPU and was measured on one', () => {
    expect(parsed.data!.device.name).toMatch(/^NVIDIA H[12]00/);
    expect(parsed.data!.peers?.every((peer) => peer.library.startsWith('torch '))).toBe(true);
    expect(parsed.data!.device.info.isFallbackAdapter).toBe(false);
  });

  it('holds only results that matched their CPU reference', () => {
    expect(parsed.data!.records.filter((r) => !r.check.ok).map((r) => `${r.lab} ${r.variant}`)).toEqual([]);
  });
});
