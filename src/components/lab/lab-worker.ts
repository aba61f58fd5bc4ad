// A lab's work, off the page's main thread: the GPU device, the ceilings, the CPU references and checks, the
// timing. The page (lab-client.ts) sends the parameters and gets the device, progress and records back as events,
// so a long reference on a slow CPU never freezes it and Cancel is seen at the lab's next pause.
import { expose } from 'comlink';
import { requestBrowserGpu } from '../../kernels/gpu/browser';
import { problemOf, type GpuProblem } from '../../kernels/gpu/outcome';
import type { GpuContext } from '../../kernels/gpu/types';
import { refusalOf, runLab, type LabRun } from '../../labs/harness';
import { labs } from '../../labs/index';
import { measureCeilings } from '../../labs/probe/ceilings';
import type { Params } from '../../labs/types';
import type { AdapterInfo, Ceilings, RunRecord } from '../../schemas/results';

/** What the page hears while a run goes on. */
export type LabEvent =
  | { kind: 'device'; info: AdapterInfo; features: string[]; limits: Record<string, number>; software: boolean }
  | { kind: 'status'; message: string }
  | { kind: 'progress'; done: number; total: number; what: string }
  | { kind: 'record'; record: RunRecord };

/** How a run ended, with the ceilings its bounds used and, for the probe, the ceilings it measured. */
export type LabOutcome = { run: LabRun | (GpuProblem & { records: RunRecord[] }); ceilings?: Ceilings; measured?: Ceilings };

let gpuPromise: ReturnType<typeof requestBrowserGpu> | undefined;
let controller: AbortController | undefined;

/** One device for the worker's life, asked for again after a loss. */
function getGpu() {
  gpuPromise ??= requestBrowserGpu();
  return gpuPromise;
}

const api = {
  /**
   * Runs lab `labId` with `params`. `known` gives the ceilings remembered for an adapter (the page keeps them);
   * without them the probe's default plan measures them first.
   */
  async run(labId: string, params: Params, known: (info: AdapterInfo) => Promise<Ceilings | null>, on: (event: LabEvent) => void): Promise<LabOutcome> {
    controller = new AbortController();
    const { signal } = controller;
    const lab = await labs[labId]!();
    const outcome = await getGpu();
    if (outcome.kind !== 'ok') {
      gpuPromise = undefined;
      return { run: { ...outcome, records: [] } };
    }
    const gpu: GpuContext = outcome.gpu;
    void gpu.lost.then((info) => {
      if (info.reason !== 'destroyed') gpuPromise = undefined;
    });
    on({ kind: 'device', info: gpu.info, features: [...gpu.features], limits: { ...gpu.limits }, software: outcome.software });
    const refusal = refusalOf(lab, params, gpu);
    if (refusal) return { run: { kind: 'too-large', message: refusal, retry: false, records: [] } };
    try {
      let ceilings = await known(gpu.info);
      if (!ceilings) {
        on({ kind: 'status', message: "Measuring this device's ceilings (once per adapter)…" });
        ceilings = await measureCeilings(gpu, { warmup: 2, reps: 10, signal });
      }
      on({ kind: 'status', message: 'Running…' });
      const ctx = { gpu, ceilings, timing: { warmup: 3, reps: 20 }, signal, progress: (done: number, total: number, what: string) => on({ kind: 'progress', done, total, what }) };
      const run = await runLab(lab, ctx, params, (record) => on({ kind: 'record', record }));
      if (run.kind === 'lost') gpuPromise = undefined;
      const measured = run.kind === 'done' ? lab.ceilingsFrom?.(run.records, params, gpu) : undefined;
      return { run, ceilings, ...(measured && { measured }) };
    } catch (error) {
      const problem = problemOf(error);
      if (problem?.kind === 'lost') gpuPromise = undefined;
      return { run: problem ? { ...problem, records: [] } : { kind: 'cancelled', records: [] } };
    }
  },

  /** Stops the run at its next pause. */
  cancel(): void {
    controller?.abort();
  },
};

export type LabWorker = typeof api;

expose(api);
