import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { equipmentHealth } from '../../pipelines/equipment-health.ts';
import { Rng } from '../../src/sim/rng.ts';
import { TELEMETRY_SENSORS, Writer, waitForWal } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { openTestStore } from '../helpers/store.ts';

const SENSORS = TELEMETRY_SENSORS.slice(0, 3);
const HOUR = 3.6e9;
const T0 = Date.UTC(2025, 4, 1) * 1000;

interface Reading {
  ts: number;
  v: number[];
}

/** The health traces from the raw readings, each bucket and each rolling hour summed from scratch. */
function reference(readings: Reading[], from: number, to: number, stepS: number) {
  const step = stepS * 1e6;
  const nb = Math.max(1, Math.ceil((to - from) / step));
  const inRange = (a: number, b: number) => readings.filter((r) => r.ts >= a && r.ts < b && r.ts < to);
  return SENSORS.map((_, j) => {
    const out = {
      mean: [] as (number | null)[],
      min: [] as (number | null)[],
      max: [] as (number | null)[],
      rm: [] as (number | null)[],
      rs: [] as (number | null)[],
    };
    for (let b = 0; b < nb; b++) {
      const lo = from + b * step;
      const vals = inRange(lo, lo + step)
        .map((r) => r.v[j] as number)
        .filter((x) => !Number.isNaN(x));
      out.mean.push(vals.length ? vals.reduce((a, x) => a + x, 0) / vals.length : null);
      out.min.push(vals.length ? Math.min(...vals) : null);
      out.max.push(vals.length ? Math.max(...vals) : null);
      const w = inRange(lo + step - HOUR, lo + step)
        .map((r) => r.v[j] as number)
        .filter((x) => !Number.isNaN(x));
      const m = w.length ? w.reduce((a, x) => a + x, 0) / w.length : NaN;
      out.rm.push(w.length ? m : null);
      out.rs.push(
        w.length ? Math.sqrt(Math.max(0, w.reduce((a, x) => a + x * x, 0) / w.length - m * m)) : null,
      );
    }
    return out;
  });
}

function near(got: (number | null)[], want: (number | null)[], what: string): void {
  expect(got.length, what).toBe(want.length);
  got.forEach((g, i) => {
    const w = want[i] as number | null;
    if (w === null || g === null) expect(g, `${what}[${i}]`).toBe(w);
    // The engine rounds what it serves to 1e-4.
    else
      expect(Math.abs(g - w), `${what}[${i}]: ${g} vs ${w}`).toBeLessThanOrEqual(6e-5 + 1e-9 * Math.abs(w));
  });
}

describe('the equipment health view, bucketed in QuestDB', () => {
  let store: Store;
  const rows: Record<string, Reading[]> = { 'eq-a': [], 'eq-b': [] };
  beforeAll(async () => {
    store = await openTestStore('equipment_health');
    const writer = await Writer.open(store.config.questdb, store.config.ingest, {
      table: store.tables.telemetry,
      symbols: ['equipment'],
      doubles: [...SENSORS],
      readings: true,
    });
    const rng = new Rng(77, 'equipment-health');
    // Six hours at irregular steps (1-20 s), outages of up to 20 min, ~5 % NaN per sensor.
    for (const eq of Object.keys(rows)) {
      let ts = T0 + rng.int(0, 5_000_000);
      while (ts < T0 + 6 * HOUR) {
        if (rng.chance(0.002)) ts += rng.int(60, 1200) * 1e6;
        const v = SENSORS.map((_, j) =>
          rng.chance(0.05) ? NaN : (eq === 'eq-a' ? 50 : 500) + 10 * j + rng.normal(),
        );
        rows[eq]!.push({ ts, v });
        await writer.append(ts, [eq], v);
        ts += rng.int(1, 20) * 1e6 + rng.int(0, 999_999);
      }
    }
    await writer.close();
    await waitForWal(store.pool, store.tables, store.tables.telemetry);
  }, 120_000);
  afterAll(async () => store?.close());

  for (const [hours, step] of [
    [4, 60], // the hour is whole steps
    [3, 7], // it is not: buckets of 1 s in QuestDB
    [5, 3600],
    [2, 900],
  ] as const) {
    it(`${hours} h in ${step} s buckets: each bucket and rolling hour equals the raw readings' figures`, async () => {
      const to = T0 + 6 * HOUR - 123_456_789;
      const from = to - hours * HOUR;
      const got = await equipmentHealth(store, 'eq-a', SENSORS, to, hours, step);
      const want = reference(rows['eq-a']!, from, to, step);
      expect(got.readings).toBe(rows['eq-a']!.filter((r) => r.ts >= from - HOUR && r.ts < to).length);
      expect(got.t.length).toBe(Math.ceil((hours * 3600) / step));
      expect(got.sensors.map((s) => s.sensor)).toEqual(SENSORS);
      SENSORS.forEach((s, j) => {
        const tr = got.sensors[j]!;
        near(tr.mean, want[j]!.mean, `${s} mean`);
        near(tr.min, want[j]!.min, `${s} min`);
        near(tr.max, want[j]!.max, `${s} max`);
        near(tr.rolling_mean_1h, want[j]!.rm, `${s} rolling mean`);
        near(tr.rolling_std_1h, want[j]!.rs, `${s} rolling std`);
      });
      // The other equipment's readings (near 500) never mix in.
      expect(Math.max(...got.sensors[0]!.max.filter((x): x is number => x !== null))).toBeLessThan(100);
    });
  }
});
