// A running lab's pace: the time left from the steps done, and redraws held to one a second.
import { describe, expect, it } from 'vitest';
import { formatTimeLeft, secondsLeft, throttled, type Timers } from '../../src/components/lab/pace';

describe('the time left', () => {
  it('goes at the pace of the finished steps', () => {
    // 3 of 12 steps in 6 s: 2 s a step, 9 steps to go.
    expect(secondsLeft(6, 3, 12)).toBe(18);
    expect(secondsLeft(6, 0, 12)).toBeNull();
    expect(secondsLeft(6, 12, 12)).toBeNull();
  });

  it('is said in whole units, never to the hundredth of a second', () => {
    expect(formatTimeLeft(0.4)).toBe('under a second left');
    expect(formatTimeLeft(17.2)).toBe('about 18 s left');
    expect(formatTimeLeft(3730.74)).toBe('about 62 min left');
    expect(formatTimeLeft(4 * 3600 + 1000)).toBe('about 4.3 h left');
  });
});

/** A clock the test moves by hand, and the timers it has set. */
function fakeTimers() {
  let now = 0;
  const pending = new Map<number, { at: number; callback: () => void }>();
  let next = 0;
  const timers: Timers = {
    now: () => now,
    setTimeout: (callback, ms) => {
      pending.set(++next, { at: now + ms, callback });
      return next;
    },
    clearTimeout: (handle) => void pending.delete(handle as number),
  };
  const advance = (ms: number) => {
    now += ms;
    for (const [handle, timer] of [...pending].sort((a, b) => a[1].at - b[1].at)) {
      if (timer.at > now) continue;
      pending.delete(handle);
      timer.callback();
    }
  };
  return { timers, advance, pending };
}

describe('redraws during a run', () => {
  it('draw at once, then at most once a second, however many records come', () => {
    const { timers, advance } = fakeTimers();
    let draws = 0;
    const redraw = throttled(() => draws++, 1000, timers);
    redraw.request();
    expect(draws).toBe(1);
    // Ten records in the next 500 ms: one draw, when the second is up.
    for (let i = 0; i < 10; i++) {
      advance(50);
      redraw.request();
    }
    expect(draws).toBe(1);
    advance(499);
    expect(draws).toBe(1);
    advance(1);
    expect(draws).toBe(2);
    // A record long after the last draw is drawn at once.
    advance(5000);
    redraw.request();
    expect(draws).toBe(3);
  });

  it('drop a waiting draw when cancelled, as the run ends and draws once itself', () => {
    const { timers, advance, pending } = fakeTimers();
    let draws = 0;
    const redraw = throttled(() => draws++, 1000, timers);
    redraw.request();
    advance(100);
    redraw.request();
    redraw.cancel();
    expect(pending.size).toBe(0);
    advance(2000);
    expect(draws).toBe(1);
  });
});
