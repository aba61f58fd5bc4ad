// The reader's finished runs, kept in this browser's IndexedDB (idb-keyval): each a results file for one lab run,
// listed on /device with delete and export and offered on /compare. Nothing leaves the browser.
import { createStore, del, entries, set } from 'idb-keyval';
import { resultsFileSchema, type ResultsFile } from '../../schemas/results';

/** Fired (bubbling) on a lab's element when a run finishes: `detail` holds the lab's id and its records. */
export const LAB_DONE_EVENT = 'speed-of-light:lab-done';

/** Fired on window whenever a run is saved or deleted. */
export const RUNS_EVENT = 'speed-of-light:runs';

export interface SavedRun {
  key: string;
  lab: string;
  file: ResultsFile;
}

let store: ReturnType<typeof createStore> | undefined;
const runs = () => (store ??= createStore('speed-of-light', 'runs'));

/** Keeps a finished run; resolves to its key. A browser without IndexedDB (private modes) keeps nothing, silently. */
export async function saveRun(lab: string, file: ResultsFile): Promise<string | null> {
  const key = `${file.date} ${lab}`;
  try {
    await set(key, { lab, file }, runs());
    dispatchEvent(new CustomEvent(RUNS_EVENT));
    return key;
  } catch {
    return null;
  }
}

/** Every kept run, the latest first; entries this site did not write are skipped. */
export async function listRuns(): Promise<SavedRun[]> {
  try {
    const all = await entries<string, { lab: unknown; file: unknown }>(runs());
    return all
      .flatMap(([key, value]) => {
        const file = resultsFileSchema.safeParse(value?.file);
        return file.success && typeof value.lab === 'string' ? [{ key, lab: value.lab, file: file.data }] : [];
      })
      .sort((a, b) => b.file.date.localeCompare(a.file.date));
  } catch {
    return [];
  }
}

export async function deleteRun(key: string): Promise<void> {
  await del(key, runs());
  dispatchEvent(new CustomEvent(RUNS_EVENT));
}
