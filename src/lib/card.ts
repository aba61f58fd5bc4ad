// A run card: one lab run (its lab and results file) carried in a URL's fragment, deflated and base64url-encoded,
// so a reader can send their result as a link with no server. What comes back from a link is anyone's: capped
// before and after inflating, parsed and checked by the results schema (readResultsFile), its lab one we know.
import { MAX_FILE_BYTES, readResultsFile } from './compare';
import type { ResultsFile } from '../schemas/results';

/** The longest fragment read: far above a lab run's (a few KiB), far below what would slow a page. */
export const MAX_FRAGMENT_CHARS = 200_000;

export interface Card {
  lab: string;
  file: ResultsFile;
}

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream, most = Infinity): Promise<Uint8Array> {
  const reader = new Blob([new Uint8Array(bytes)]).stream().pipeThrough(stream).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > most) {
      await reader.cancel();
      throw new RangeError(`more than ${most} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

const toBase64Url = (bytes: Uint8Array) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join('')).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const fromBase64Url = (text: string) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));

/** The fragment (without `#`) that carries a run. */
export async function encodeCard(card: Card): Promise<string> {
  return toBase64Url(await pipe(new TextEncoder().encode(JSON.stringify(card)), new CompressionStream('deflate-raw')));
}

/** The run a fragment carries, or why it cannot be read; `knownLab` says which lab ids exist. */
export async function decodeCard(fragment: string, knownLab: (id: string) => boolean): Promise<Card | { error: string }> {
  if (fragment.length === 0) return { error: 'This link carries no run: it should end in # and the run, as the Share button writes it.' };
  if (fragment.length > MAX_FRAGMENT_CHARS) return { error: `This link carries ${fragment.length} characters; a run card may carry at most ${MAX_FRAGMENT_CHARS}.` };
  if (!/^[\w-]+$/.test(fragment)) return { error: 'This link is damaged: a run card holds only letters, digits, - and _ after the #.' };
  let text: string;
  try {
    text = new TextDecoder().decode(await pipe(fromBase64Url(fragment), new DecompressionStream('deflate-raw'), MAX_FILE_BYTES));
  } catch (error) {
    return { error: error instanceof RangeError ? `This link's run unpacks to more than ${MAX_FILE_BYTES / 2 ** 20} MiB, more than a results file may hold.` : 'This link is damaged: its run cannot be unpacked.' };
  }
  let data: { lab?: unknown; file?: unknown };
  try {
    data = JSON.parse(text) as typeof data;
  } catch {
    return { error: 'This link is damaged: its run is not JSON.' };
  }
  if (typeof data?.lab !== 'string' || !knownLab(data.lab)) return { error: 'This link names no lab this site has.' };
  const read = readResultsFile(JSON.stringify(data.file ?? null));
  if ('error' in read) return { error: read.error };
  if (read.file.records.length === 0) return { error: 'This link carries a run with no results: share a run once it has finished.' };
  if (read.file.records.some((record) => record.lab !== data.lab)) return { error: `This link's records are not all of the ${data.lab} lab.` };
  return { lab: data.lab, file: read.file };
}
