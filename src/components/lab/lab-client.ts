// Wires every server-rendered `.lab` on the page: reads the controls, gets a device, checks the parameters against
// its limits before anything is dispatched, runs the lab, and shows progress, plots, records, the check and export.
// The lab's root carries `data-state` (idle | running | done | error) and `data-outcome` for tests and scripts.
import { labs } from '../../labs/index';
import type { Lab, Params, ParamSpec } from '../../labs/types';
import type { Ceilings, ResultsFile, RunRecord } from '../../schemas/results';
import { browserAdapterInfo, requestBrowserGpu } from '../../kernels/gpu/browser';
import { isSoftware } from '../../kernels/gpu/outcome';
import { adapterName } from '../../kernels/gpu/adapter';
import { LAB_DONE_EVENT, saveRun } from './runs-store';
import { encodeCard } from '../../lib/card';
import { paramProblem, parseParam } from '../../labs/harness';
import { proxy, wrap, type Remote } from 'comlink';
import type { LabEvent, LabWorker } from './lab-worker';
import { recordTable } from '../../labs/table';
import { recordsTableElement } from './records-table';
import { plotWidthOf, renderPlot, renderRoofline, type RooflineDevice } from './plots';
import { downloadText, plotDownloads, toCsv } from './export';
import { ceilingsSentence, recall, remember } from './ceilings-store';
import { formatTimeLeft, secondsLeft, throttled } from './pace';

type State = 'idle' | 'running' | 'done' | 'error';
type Reference = { device: string; ceilings?: Ceilings; records: RunRecord[] }[];

let worker: Remote<LabWorker> | undefined;

/** One worker per page runs every lab's GPU and CPU work, so the page never waits on it. */
function labWorker(): Remote<LabWorker> {
  worker ??= wrap<LabWorker>(new Worker(new URL('./lab-worker.ts', import.meta.url), { type: 'module', name: 'lab' }));
  return worker;
}

/** The device a run used, as its results file names it. */
type Device = Pick<ResultsFile['device'], 'info' | 'features' | 'limits'>;

/** Reads the controls as the specs' kinds; returns the parameters, or the control that was wrong and why. */
export function readParams(form: HTMLFormElement, specs: readonly ParamSpec[]): { params: Params } | { problem: { name: string; message: string } } {
  const params: Params = {};
  for (const spec of specs) {
    const control = form.elements.namedItem(spec.name) as HTMLInputElement | HTMLSelectElement;
    try {
      params[spec.name] = parseParam(spec, control.value.trim());
    } catch (error) {
      return { problem: { name: spec.name, message: (error as Error).message } };
    }
  }
  return { params };
}

class LabView {
  private records: RunRecord[] = [];
  /** Whether the reader changed a control: then nothing fills the form in for them. */
  private touched = false;
  private device: Device | undefined;
  private ceilings: Ceilings | undefined;
  private readonly reference: Reference;
  private readonly referenceCeilings: RooflineDevice[];
  private readonly q = <T extends Element>(selector: string) => this.root.querySelector<T>(selector)!;

  constructor(private readonly root: HTMLElement, private readonly lab: Lab) {
    this.reference = JSON.parse(this.q<HTMLScriptElement>('script[data-reference]').textContent ?? '[]') as Reference;
    this.referenceCeilings = this.reference.flatMap((ref) => (ref.ceilings ? [{ name: ref.device, ...ref.ceilings }] : []));
  }

  /** Reference GPUs the reader switched off in the plots. */
  private readonly hiddenReferences = new Set<string>();

  /** One button per reference GPU, listed once for every plot: pressed, its grey lines are drawn. */
  private referenceToggles(): HTMLElement {
    const row = Object.assign(document.createElement('div'), { className: 'lab-reference-toggles' });
    row.append(Object.assign(document.createElement('span'), { className: 'muted', textContent: 'Reference GPUs in grey:' }));
    for (const { device } of this.reference) {
      const button = Object.assign(document.createElement('button'), { type: 'button', className: 'secondary', textContent: device });
      button.setAttribute('aria-pressed', String(!this.hiddenReferences.has(device)));
      button.dataset.referenceToggle = device;
      button.addEventListener('click', () => {
        if (!this.hiddenReferences.delete(device)) this.hiddenReferences.add(device);
        void this.renderPlots();
      });
      row.append(button);
    }
    return row;
  }

  /** The width the plots were last drawn at. */
  private plotWidth = 0;
  /** Whether the run's adapter is a software one: then the plots are drawn once, at the end. */
  private software = false;
  /** When the run's first step started (performance.now(), ms), for the time left. */
  private startedMs = 0;
  /**
   * While a run goes on, its records table and plots are drawn at most once a second, the plots not at all on a
   * software adapter, whose emulated GPU needs the same CPU: every record drawn at once slowed a run several times.
   */
  private readonly redraw = throttled(() => {
    this.renderRecords();
    if (!this.software) void this.renderPlots();
  });

  mount() {
    new ResizeObserver(() => {
      const width = this.q<HTMLDivElement>('[data-plots]').clientWidth;
      if (this.plotWidth > 0 && Math.abs(width - this.plotWidth) > 40) void this.renderPlots();
    }).observe(this.q<HTMLDivElement>('[data-plots]'));
    const form = this.q<HTMLFormElement>('form[data-lab-form]');
    const presets = form.elements.namedItem('__preset') as HTMLSelectElement | null;
    presets?.addEventListener('change', () => {
      const list = JSON.parse(presets.dataset.presets ?? '[]') as { params: Params }[];
      const chosen = list[Number(presets.value)];
      if (!chosen) return;
      for (const [name, value] of Object.entries(chosen.params)) {
        const control = form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null;
        if (control) control.value = String(value);
      }
    });
    form.addEventListener('input', (event) => {
      this.touched = true;
      if (event.target !== presets && presets) presets.value = '';
    });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.run(form);
    });
    this.q<HTMLButtonElement>('[data-cancel]').addEventListener('click', () => void labWorker().cancel());
    this.q<HTMLButtonElement>('[data-export-json]').addEventListener('click', () => this.download('json'));
    this.q<HTMLButtonElement>('[data-export-csv]').addEventListener('click', () => this.download('csv'));
    this.q<HTMLButtonElement>('[data-share]').addEventListener('click', () => void this.share());
    if (!('gpu' in navigator)) {
      void requestBrowserGpu().then((outcome) => {
        const where = this.reference.length ? ` They were measured on ${this.reference.map((r) => r.device).join(' and ')}.` : '';
        this.setState('error', outcome.kind, `${'message' in outcome ? outcome.message : ''}${where}`, 'warn');
        if (this.reference.length) void this.renderPlots();
      });
      return;
    }
    this.q<HTMLButtonElement>('[data-run]').disabled = false;
    // The reference GPUs' plots until this device has results of its own.
    if (this.reference.length) void this.renderPlots();
    // A software adapter (the GPU emulated on the CPU) starts on the quick sizes: the defaults would take minutes.
    void browserAdapterInfo().then((info) => {
      if (!info || !isSoftware({ info }) || this.touched || !presets) return;
      presets.value = presets.options[presets.options.length - 1]!.value;
      presets.dispatchEvent(new Event('change'));
      this.setState('idle', 'idle', 'Your browser runs WebGPU on the CPU (a software adapter), so the lab starts at its quick sizes.', 'warn');
    });
  }

  /**
   * The reader's result in the paper's terms, first under the controls; the reference GPUs' sentences stay below it.
   * `ceilings`: after a run of the lab that measures them, the ceilings this device's labs now use, in words.
   */
  private renderVerdict(ceilings?: string) {
    const verdict = this.lab.verdict?.(this.records, 'your GPU', { software: this.device !== undefined && isSoftware(this.device), ceilings: this.ceilings });
    const sentence = [verdict, ceilings].filter(Boolean).join(' ');
    if (!sentence) return;
    const yours = Object.assign(document.createElement('p'), { textContent: sentence });
    yours.dataset.verdictYours = '';
    this.q<HTMLDivElement>('[data-verdict]').prepend(yours);
  }

  /** Forgets the last run's results, so nothing on screen is mistaken for the run that starts. */
  private clearResults() {
    this.records = [];
    this.root.querySelector('[data-verdict-yours]')?.remove();
    // The prompt to run goes once a run starts; a bar left full by the last run would pass for this one's.
    this.root.querySelector('[data-run-hint]')?.remove();
    this.resetProgress();
    this.q<HTMLParagraphElement>('[data-check]').hidden = true;
    this.q<HTMLDivElement>('[data-records]').replaceChildren();
    this.q<HTMLDivElement>('[data-export]').hidden = true;
    this.q<HTMLElement>('[data-share-out]').hidden = true;
    void this.renderPlots();
  }

  private setState(state: State, outcome: string, message?: string, tone: 'info' | 'warn' | 'error' = 'info') {
    this.root.dataset.state = state;
    this.root.dataset.outcome = outcome;
    const status = this.q<HTMLParagraphElement>('.lab-status');
    status.hidden = !message;
    status.textContent = message ?? '';
    status.classList.toggle('warn', tone === 'warn');
    status.classList.toggle('error', tone === 'error');
  }

  /** The bar and its line at `done` of `total` steps, with the time left once a step has finished. */
  private progress(done: number, total: number, what: string) {
    if (done === 0) this.startedMs = performance.now();
    const bar = this.q<HTMLProgressElement>('[data-progress]');
    bar.hidden = false;
    bar.value = total > 0 ? done / total : 0;
    const left = done < total ? secondsLeft((performance.now() - this.startedMs) / 1000, done, total) : null;
    this.q<HTMLSpanElement>('[data-progress-text]').textContent = `${what} (${done}/${total})${left === null ? '' : `, ${formatTimeLeft(left)}`}`;
  }

  private resetProgress() {
    const bar = this.q<HTMLProgressElement>('[data-progress]');
    bar.hidden = true;
    bar.value = 0;
    this.q<HTMLSpanElement>('[data-progress-text]').textContent = '';
  }

  private async run(form: HTMLFormElement) {
    for (const control of form.querySelectorAll('[aria-invalid]')) control.removeAttribute('aria-invalid');
    const read = readParams(form, this.lab.params);
    const params = 'params' in read ? read.params : undefined;
    const problem = 'problem' in read ? read.problem : paramProblem(this.lab, read.params);
    if (problem || !params) {
      // The control at fault is marked and focused; the status says what it takes.
      const control = problem && (form.elements.namedItem(problem.name) as HTMLInputElement | null);
      control?.setAttribute('aria-invalid', 'true');
      control?.focus();
      return this.setState('error', 'bad-input', problem?.message, 'error');
    }
    const runButton = this.q<HTMLButtonElement>('[data-run]');
    const cancel = this.q<HTMLButtonElement>('[data-cancel]');
    runButton.disabled = true;
    cancel.disabled = false;
    this.clearResults();
    this.setState('running', 'running', 'Getting a GPU device…');
    let softwareWarning = '';
    const status = (message: string) => this.setState('running', 'running', `${softwareWarning}${message}`, softwareWarning ? 'warn' : 'info');
    const onEvent = (event: LabEvent) => {
      if (event.kind === 'device') {
        this.device = { info: event.info, features: event.features, limits: event.limits };
        this.software = event.software;
        this.q<HTMLDivElement>('[data-device]').textContent = `Device: ${adapterName(event.info)}${event.software ? ', a software adapter' : ''}.`;
        softwareWarning = event.software
          ? 'This is a software adapter (the GPU is emulated on the CPU): the check is meaningful, the speeds are not those of a GPU, and the plots are drawn when the run ends. '
          : '';
      } else if (event.kind === 'status') {
        status(event.message);
      } else if (event.kind === 'progress') {
        this.progress(event.done, event.total, event.what);
      } else {
        this.records.push(event.record);
        this.redraw.request();
      }
    };
    try {
      const known = async (info: ResultsFile['device']['info']) => recall({ info });
      const { run, ceilings, measured } = await labWorker().run(this.lab.id, params, proxy(known), proxy(onEvent));
      if (ceilings) this.ceilings = ceilings;
      // The result carries every record: events travel on their own channel and the last may still be on its way.
      if (run.records.length !== this.records.length) this.records = run.records;
      // Whatever the outcome, the records that came are drawn in full, once; a run refused before any leaves no bar.
      this.redraw.cancel();
      this.renderRecords();
      await this.renderPlots();
      if (this.records.length === 0) this.resetProgress();
      if (ceilings && this.device && !recall(this.device)) remember(this.device, ceilings);
      if (run.kind === 'cancelled') return this.setState('idle', 'cancelled', `Cancelled after ${this.records.length} results.`);
      if (run.kind === 'check-failed') {
        this.renderCheck(false, run.message);
        return this.setState('error', run.kind, run.message, 'error');
      }
      if (run.kind !== 'done') {
        if (this.records.length) this.renderCheck(this.records.every((r) => r.check.ok));
        return this.setState('error', run.kind, run.message, 'error');
      }
      if (measured && this.device) remember(this.device, measured);
      // The lab that measures the ceilings says which ones every lab now uses here: the stored ones, which /models/ reads.
      const stored = this.lab.ceilingsFrom && this.device ? recall(this.device) : null;
      this.renderVerdict(stored ? ceilingsSentence(stored, measured !== undefined) : undefined);
      const failed = this.records.filter((r) => !r.check.ok);
      this.renderCheck(failed.length === 0);
      this.setState('done', softwareWarning ? 'software' : 'ok', softwareWarning ? `${softwareWarning}Done.` : 'Done.', softwareWarning ? 'warn' : 'info');
      this.root.dispatchEvent(new CustomEvent(LAB_DONE_EVENT, { bubbles: true, detail: { lab: this.lab.id, records: this.records } }));
      const file = this.resultsFile();
      if (file) await saveRun(this.lab.id, file);
    } catch (error) {
      this.redraw.cancel();
      this.setState('error', 'gpu-error', `The lab stopped: ${(error as Error).message}`, 'error');
    } finally {
      runButton.disabled = false;
      cancel.disabled = true;
      this.q<HTMLDivElement>('[data-export]').hidden = this.records.length === 0;
    }
  }

  /** The check's line: passed, or failed with `why` where the run stopped at a point that did not match. */
  private renderCheck(ok: boolean, why?: string) {
    const check = this.q<HTMLParagraphElement>('[data-check]');
    const worst = Math.max(0, ...this.records.map((r) => r.check.maxRelError));
    const failed = this.records.filter((r) => !r.check.ok).length;
    check.hidden = false;
    check.dataset.ok = String(ok);
    check.className = `lab-check ${ok ? 'ok' : 'bad'}`;
    check.textContent = ok
      ? `Check passed: all ${this.records.length} results match the CPU reference (largest relative error ${worst.toExponential(2)}).`
      : why
        ? `Check FAILED: ${why}`
        : `Check FAILED: ${failed} of ${this.records.length} results differ from the CPU reference (largest relative error ${worst.toExponential(2)}). Their timings mean nothing until the kernel is fixed.`;
  }

  /** The records table; nothing, not an empty table, before the first record. */
  private renderRecords() {
    this.q<HTMLDivElement>('[data-records]').replaceChildren(...(this.records.length > 0 ? [recordsTableElement(recordTable(this.records, this.lab))] : []));
  }

  /** The lab's plots and a roofline with its points: this run's beside the reference GPUs', or theirs alone. */
  private async renderPlots() {
    const Plot = await import('@observablehq/plot');
    // Drawn at the container's width (and drawn again when it changes), so text keeps its size on a phone.
    const width = plotWidthOf(this.q<HTMLDivElement>('[data-plots]'));
    this.plotWidth = width;
    const shown = this.reference.filter((ref) => !this.hiddenReferences.has(ref.device));
    const figures: HTMLElement[] = this.reference.length ? [this.referenceToggles()] : [];
    figures.push(
      ...this.lab.plots.map((spec) => {
        const figure = document.createElement('div');
        figure.dataset.plot = spec.id;
        figure.append(renderPlot(Plot, spec, this.records, shown, width), plotDownloads(figure, `${this.lab.id}-${spec.id}`));
        return figure;
      }),
    );
    const roofline = document.createElement('div');
    roofline.dataset.plot = 'roofline';
    const yours = this.device && this.ceilings ? [{ name: 'yours', yours: true, ...this.ceilings }] : [];
    const reference = this.reference.map((ref) => ({ name: ref.device, records: ref.records }));
    const devices = [...yours, ...this.referenceCeilings];
    if (devices.length > 0) {
      roofline.append(renderRoofline(Plot, devices, [...(this.records.length ? [{ name: 'yours', records: this.records }] : []), ...reference], width));
      figures.push(roofline);
    }
    this.q<HTMLDivElement>('[data-plots]').replaceChildren(...figures);
  }

  /** This run as a results file (what export writes and the browser keeps), or null before any record. */
  private resultsFile(): ResultsFile | null {
    if (!this.device || this.records.length === 0) return null;
    return {
      device: { name: adapterName(this.device.info), info: this.device.info, features: [...this.device.features].sort(), limits: { ...this.device.limits } },
      runtime: navigator.userAgent,
      date: new Date().toISOString(),
      ...(this.ceilings ? { ceilings: this.ceilings } : {}),
      records: this.records,
    };
  }

  /** A link whose fragment carries this run (src/lib/card.ts), shown to copy and copied where the browser lets us. */
  private async share() {
    const file = this.resultsFile();
    if (!file) return;
    const link = `${location.origin}/card/#${await encodeCard({ lab: this.lab.id, file })}`;
    const input = this.q<HTMLInputElement>('[data-share-link]');
    input.value = link;
    this.q<HTMLElement>('[data-share-out]').hidden = false;
    input.select();
    const note = this.q<HTMLElement>('[data-share-note]');
    try {
      await navigator.clipboard.writeText(link);
      note.textContent = 'Copied.';
    } catch {
      note.textContent = 'Copy it from the box.';
    }
  }

  private download(kind: 'json' | 'csv') {
    const file = this.resultsFile();
    if (!file) return;
    const text = kind === 'json' ? JSON.stringify(file, null, 2) : toCsv(file.records);
    downloadText(text, kind === 'json' ? 'application/json' : 'text/csv', `${this.lab.id}-${file.date.slice(0, 10)}.${kind}`);
  }
}

/** Finds every lab on the page and wires it. */
export function mountLabs(): void {
  for (const root of document.querySelectorAll<HTMLElement>('.lab[data-lab]')) {
    if (root.dataset.mounted) continue;
    root.dataset.mounted = 'true';
    const load = labs[root.dataset.lab!];
    if (!load) continue;
    void load().then((lab) => new LabView(root, lab).mount());
  }
}
