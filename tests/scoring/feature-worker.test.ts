/**
 * Live features on the feature worker are the features the API's thread computes: same vector,
 * bit for bit, on windows read in place from SharedArrayBuffers (missing values, gaps, an
 * irregular step), and the API's thread keeps appending to the window while the worker reads.
 */
import { describe, expect, it } from 'vitest';
import { defineFeatureSet, featuresAtLast } from '../../features/index.ts';
import { STATS } from '../../features/feature-set.ts';
import { mulberry32 } from '../../models/rng.ts';
import { featuresAtLastOffThread, inPlace } from '../../src/scoring/feature-worker.ts';

const fs = defineFeatureSet({
  name: 'worker-test',
  sensors: ['a', 'b', 'c'],
  windows: [
    { kind: 'time', seconds: 60 },
    { kind: 'time', seconds: 3600 },
    { kind: 'count', rows: 30 },
  ],
  stats: [...STATS],
});

const shared = (n: number) => new Float64Array(new SharedArrayBuffer(n * 8));

function window(seed: number, n: number, cap: number) {
  const u = mulberry32(seed);
  const ts = shared(cap);
  const values = fs.sensors.map(() => shared(cap));
  let t = 1.7e15;
  for (let i = 0; i < n; i++) {
    t += u() < 0.01 ? 1e6 * Math.ceil(u() * 300) : u() < 0.5 ? 1e6 : 2e6; // gaps and an irregular step
    ts[i] = t;
    values.forEach((v, j) => (v[i] = u() < 0.05 * (j + 1) ? NaN : 10 * j + Math.sin(i / 50) + u()));
  }
  return { ts, values };
}

describe('features on the feature worker', () => {
  it('equal the features computed on the calling thread, bit for bit, on 12 random windows', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const n = 2000 + seed * 700;
      const { ts, values } = window(seed, n + 100, n + 100);
      const view = { ts: ts.subarray(0, n), values: values.map((v) => v.subarray(0, n)) };
      expect(inPlace(view.ts, view.values)).toBe(true);
      const pending = featuresAtLastOffThread(fs, view.ts, view.values);
      // The window grows past the view while the worker reads it.
      for (let i = n; i < n + 100; i++) {
        ts[i] = (ts[i - 1] as number) + 1e6;
        values.forEach((v) => (v[i] = 1e9));
      }
      const seconds = Float64Array.from(view.ts, (t) => t / 1e6);
      const expected = featuresAtLast(fs, seconds, view.values);
      const got = await pending;
      expect(got.length, `seed ${seed}`).toBe(fs.columns.length);
      got.forEach((v, k) => expect(Object.is(v, expected[k]), `seed ${seed}, ${fs.columns[k]}`).toBe(true));
    }
  }, 60_000);

  it('is only used for arrays it can read in place', () => {
    expect(inPlace(new Float64Array(4), [new Float64Array(4)])).toBe(false);
    expect(inPlace(shared(4), [new Float64Array(4)])).toBe(false);
    expect(inPlace(shared(4), [shared(4)])).toBe(true);
  });
});
