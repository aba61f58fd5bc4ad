// Run cards: a run through a URL's fragment and back, and what a hostile link gets.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeCard, encodeCard, MAX_FRAGMENT_CHARS } from '../../src/lib/card';

const h200 = JSON.parse(readFileSync('src/data/reference/h200.json', 'utf8'));
const lora = { ...h200, records: h200.records.filter((r: { lab: string }) => r.lab === 'lora') };
const known = (id: string) => ['lora', 'probe'].includes(id);

describe('run cards', () => {
  it('carry a run through the fragment and back, compressed', async () => {
    const fragment = await encodeCard({ lab: 'lora', file: lora });
    expect(fragment).toMatch(/^[\w-]+$/);
    expect(fragment.length).toBeLessThan(JSON.stringify(lora).length / 2);
    expect(await decodeCard(fragment, known)).toEqual({ lab: 'lora', file: lora });
  });

  it('refuse what anyone could put in a link, saying why', async () => {
    expect(await decodeCard('', known)).toMatchObject({ error: expect.stringMatching(/carries no run/) });
    expect(await decodeCard('a'.repeat(MAX_FRAGMENT_CHARS + 1), known)).toMatchObject({ error: expect.stringMatching(/at most 200000/) });
    expect(await decodeCard('<script>', known)).toMatchObject({ error: expect.stringMatching(/damaged/) });
    expect(await decodeCard('AAAA', known)).toMatchObject({ error: expect.stringMatching(/damaged/) });
    // A bomb: 50 MB of spaces deflate to a few KB, and are refused once inflated past the cap.
    const bomb = await encodeCard({ lab: 'lora', file: { ...lora, notes: [' '.repeat(50 * 2 ** 20)] } });
    expect(bomb.length).toBeLessThan(MAX_FRAGMENT_CHARS);
    expect(await decodeCard(bomb, known)).toMatchObject({ error: expect.stringMatching(/more than 5 MiB/) });
    expect(await decodeCard(await encodeCard({ lab: 'nope', file: lora }), known)).toMatchObject({ error: expect.stringMatching(/no lab/) });
    const wrongTypes = { ...lora, records: [{ ...lora.records[0], flops: 'many' }] };
    expect(await decodeCard(await encodeCard({ lab: 'lora', file: wrongTypes }), known)).toMatchObject({ error: expect.stringMatching(/records\.0\.flops/) });
    expect(await decodeCard(await encodeCard({ lab: 'probe', file: lora }), known)).toMatchObject({ error: expect.stringMatching(/not all of the probe lab/) });
    expect(await decodeCard(await encodeCard({ lab: 'lora', file: { ...lora, records: [] } }), known)).toEqual({ error: 'This link carries a run with no results: share a run once it has finished.' });
  });
});
