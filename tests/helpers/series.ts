/** Random series for kernel tests: irregular steps, gaps, repeated timestamps, NaN runs, offsets. */
import type { Rng } from '../../src/sim/rng.ts';

export interface Series {
  t: Float64Array;
  x: Float64Array;
}

export function randomSeries(rng: Rng, n: number): Series {
  const t = new Float64Array(n);
  const x = new Float64Array(n);
  let time = rng.uniform(0, 1000);
  const offset = rng.pick([0, 1000, -50, 1e6]);
  const scale = rng.pick([1, 0.01, 100]);
  let nanRun = 0;
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    if (r < 0.1)
      time += 0; // repeated timestamp
    else if (r < 0.13)
      time += rng.uniform(50, 400); // a gap
    else time += rng.exponential(1.5);
    t[i] = time;
    if (nanRun > 0) {
      x[i] = NaN;
      nanRun--;
    } else if (rng.chance(0.08)) {
      x[i] = NaN;
      if (rng.chance(0.2)) nanRun = rng.int(1, 20);
    } else x[i] = offset + scale * (rng.normal() + 0.01 * i);
  }
  return { t, x };
}

/** |a - b| small relative to the magnitudes involved, or both NaN. */
export function close(a: number, b: number, rel: number, magnitude = 0): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return Math.abs(a - b) <= rel * (Math.abs(a) + Math.abs(b) + magnitude) + 1e-12;
}
