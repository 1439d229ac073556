import { describe, expect, it } from 'vitest';
import { batchEnd, maintenanceWindow, medianDuration } from '../../pipelines/maintenance-window.ts';
import type { BusySpan } from '../../pipelines/maintenance-window.ts';
import { Rng } from '../../src/sim/rng.ts';

const H = 3.6e9;

describe('maintenance windows', () => {
  it('over random schedules: a window never overlaps a running or planned batch, starts no earlier than now and ends before the failure', () => {
    const rng = new Rng(44, 'windows');
    let windows = 0;
    let stops = 0;
    for (let trial = 0; trial < 2000; trial++) {
      const at = rng.uniform(0, 1000) * H;
      const busy: BusySpan[] = [];
      // A running batch (started before now), then planned ones with random gaps, some overlapping.
      let t = at - rng.uniform(0, 6) * H;
      for (let k = 0; k < rng.int(0, 8); k++) {
        const length = rng.uniform(0.2, 8) * H;
        busy.push({ batch_id: `B${k}`, start: t, end: rng.chance(0.05) ? NaN : t + length });
        t += length + (rng.chance(0.5) ? rng.uniform(-1, 4) * H : 0);
      }
      const failAt = at + rng.uniform(0, 48) * H;
      const w = rng.uniform(0.5, 4) * H;
      const a = maintenanceWindow(at, busy, failAt, w);
      if (a.window !== null) {
        windows++;
        expect(a.window.start).toBeGreaterThanOrEqual(at);
        expect(a.window.end - a.window.start).toBeCloseTo(w, -1);
        expect(a.window.end).toBeLessThanOrEqual(failAt);
        for (const b of busy) {
          const end = b.end === b.end ? b.end : Infinity;
          const overlaps = a.window.start < end && b.start < a.window.end;
          expect(overlaps, `trial ${trial}: window overlaps ${b.batch_id}`).toBe(false);
        }
      } else {
        stops++;
        expect(a.stop.at).toBeGreaterThanOrEqual(at);
        expect(a.stop.reason).toMatch(/^no gap of .* before the predicted failure .*: stop at /);
      }
    }
    // Both answers occur over the random schedules.
    expect(windows).toBeGreaterThan(100);
    expect(stops).toBeGreaterThan(100);
  });

  it('takes a batch to last until its reported end, else its planned end, else the median for its product', () => {
    expect(batchEnd({ start: 0, endedAt: 5, plannedEnd: 9, typicalMicros: 3 })).toBe(5);
    expect(batchEnd({ start: 0, endedAt: NaN, plannedEnd: 9, typicalMicros: 3 })).toBe(9);
    expect(batchEnd({ start: 2, endedAt: NaN, plannedEnd: NaN, typicalMicros: 3 })).toBe(5);
    expect(batchEnd({ start: 2, endedAt: NaN, plannedEnd: NaN, typicalMicros: NaN })).toBeNaN();
    expect(medianDuration([4, 1, 3, 0])).toBe(3);
    expect(medianDuration([4, 1, 3, 2])).toBe(2.5);
  });

  it('says when to stop, and which batch that interrupts, when no gap fits before the failure', () => {
    const busy = [
      { batch_id: 'B-1', start: 0, end: 10 * H },
      { batch_id: 'B-2', start: 10.5 * H, end: 20 * H },
    ];
    const a = maintenanceWindow(1 * H, busy, 12 * H, 2 * H);
    expect(a.window).toBeNull();
    expect(a.stop?.at).toBe(10 * H);
    expect(a.stop?.interrupts).toBe('B-2'); // 10-12 h: B-1 has ended, B-2 starts at 10.5 h
    expect(maintenanceWindow(1 * H, busy, 9 * H, 2 * H).stop?.interrupts).toBe('B-1');
    const b = maintenanceWindow(1 * H, busy, 14 * H, 2 * H);
    expect(b.stop?.at).toBe(12 * H);
    expect(b.stop?.interrupts).toBe('B-2');
    // A running batch is not cut into: the window starts when it ends.
    const c = maintenanceWindow(1 * H, busy.slice(0, 1), 30 * H, 2 * H);
    expect(c.window).toEqual({ start: 10 * H, end: 12 * H });
  });
});
