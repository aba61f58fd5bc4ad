// The pace of a running lab: how long is left, from the steps done so far, and redraws held to at most one a
// second. On a software adapter the page's drawing competes with the emulated GPU for the same CPU: LoRA's quick
// run took 152–166 s on SwiftShader with its plots redrawn at every record, 27 s scrolled out of view.

/**
 * Seconds left, from the time the finished steps took (`elapsedSeconds` for `done` of `total`), assuming the rest go
 * at the same pace; null until a step has finished.
 */
export function secondsLeft(elapsedSeconds: number, done: number, total: number): number | null {
  if (done <= 0 || total <= done || elapsedSeconds <= 0) return null;
  return (elapsedSeconds / done) * (total - done);
}

/** `about 40 s left`, `about 3 min left`, `about 1.5 h left`: whole units, as an estimate deserves. */
export function formatTimeLeft(seconds: number): string {
  if (seconds < 1) return 'under a second left';
  if (seconds < 90) return `about ${Math.ceil(seconds)} s left`;
  if (seconds < 90 * 60) return `about ${Math.round(seconds / 60)} min left`;
  return `about ${Number((seconds / 3600).toFixed(1))} h left`;
}

/** How often a running lab redraws its plots and records, at most. */
export const REDRAW_INTERVAL_MS = 1000;

/** A clock and a timer: the browser's, or a test's. */
export interface Timers {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const browserTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * `draw` at most once every `intervalMs`: a request within the interval of the last draw waits for its end, and
 * requests meanwhile are one draw. `cancel` drops a waiting one (the run ended and draws once more itself).
 */
export function throttled(draw: () => void, intervalMs = REDRAW_INTERVAL_MS, timers: Timers = browserTimers): { request(): void; cancel(): void } {
  let last = -Infinity;
  let waiting: unknown = null;
  const run = () => {
    waiting = null;
    last = timers.now();
    draw();
  };
  return {
    request() {
      if (waiting !== null) return;
      const wait = last + intervalMs - timers.now();
      if (wait <= 0) run();
      else waiting = timers.setTimeout(run, wait);
    },
    cancel() {
      if (waiting !== null) timers.clearTimeout(waiting);
      waiting = null;
    },
  };
}
