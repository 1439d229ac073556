import { beforeAll, describe, expect, it } from 'vitest';
import { ChecksumSink, MemorySink, buildPlant, simulate } from '../../src/sim/index.ts';
import type { SimSummary } from '../../src/sim/index.ts';
import { S } from '../../src/sim/plant.ts';
import { Rng } from '../../src/sim/rng.ts';

const START = Date.UTC(2025, 0, 6) / 1000;
const H = 3600e6; // one hour in µs

describe('Rng', () => {
  it('is reproducible per seed and label, and roughly normal', () => {
    const a = new Rng(7, 'x');
    const b = new Rng(7, 'x');
    const c = new Rng(7, 'y');
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(c.next()).not.toBe(xs[0]);
    const n = new Rng(1);
    const v = Array.from({ length: 20000 }, () => n.normal());
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    const sd = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
  });
});

describe('determinism', () => {
  const run = async (seed: number) => {
    const sink = new ChecksumSink();
    const summary = await simulate(sink, { equipment: 5, days: 2, seed, start: START, sampleSeconds: 10 });
    return { digest: sink.digest(), summary };
  };
  it('same seed and start give byte-identical output; another seed does not', async () => {
    const a = await run(42);
    const b = await run(42);
    const c = await run(43);
    expect(a.digest).toBe(b.digest);
    expect({ ...a.summary, duration_s: 0, readings_per_s: 0 }).toEqual({
      ...b.summary,
      duration_s: 0,
      readings_per_s: 0,
    });
    expect(c.digest).not.toBe(a.digest);
  });
});

describe('a simulated plant over two months', () => {
  const sink = new MemorySink();
  let summary: SimSummary;
  const equipment = 12;
  const days = 60;
  beforeAll(async () => {
    summary = await simulate(sink, { equipment, days, seed: 3, start: START, sampleSeconds: 60 });
  });

  it('has an ISA-95 tree with several classes', () => {
    const plant = buildPlant({ equipment, seed: 3 });
    expect(new Set(plant.map((e) => e.cls.name)).size).toBe(4);
    expect(new Set(plant.map((e) => e.line)).size).toBeGreaterThan(2);
    expect(new Set(plant.map((e) => e.id)).size).toBe(equipment);
  });

  it('fails and is maintained at plausible rates, only in the modes each class has', () => {
    const perEquipmentMonth = summary.failures_total / ((equipment * days) / 30);
    expect(perEquipmentMonth).toBeGreaterThan(0.5);
    expect(perEquipmentMonth).toBeLessThan(8);
    // Preventive maintenance follows each class's calendar (7-10 days).
    expect(summary.preventive).toBeGreaterThan((equipment * days) / 11);
    expect(summary.preventive).toBeLessThan((equipment * days) / 6);
    const classOf = new Map(sink.specs.map((s) => [s.id, s.cls]));
    for (const f of sink.log.failures) expect(classOf.get(f.equipment)?.modes).toContain(f.mode);
    expect(new Set(sink.log.failures.map((f) => f.mode)).size).toBeGreaterThanOrEqual(3);
    // Every failure is reported to maintenance with a repair and downtime.
    const failures = sink.log.maintenance.filter((m) => m.kind === 'failure');
    expect(failures).toHaveLength(summary.failures_total);
    for (const f of failures) expect(f.endedAt - f.ts).toBeGreaterThanOrEqual(2 * H);
  });

  it('vibration rises before bearing failures (truth matches telemetry)', () => {
    const bearing = sink.log.failures.filter((f) => f.mode === 'bearing');
    expect(bearing.length).toBeGreaterThan(3);
    let checked = 0;
    for (const f of bearing) {
      const series = sink.series.get(f.equipment)!;
      const rated = sink.specs.find((s) => s.id === f.equipment)!.cls.rated.current;
      const mean = (from: number, to: number, sensor: number) => {
        let sum = 0;
        let n = 0;
        series.ts.forEach((t, i) => {
          const v = series.values[i]!;
          // Running readings only (current well above idle), so load does not masquerade as wear.
          if (t >= from && t < to && (v[S.current] as number) > 0.5 * rated && v[sensor] === v[sensor]) {
            sum += v[sensor] as number;
            n++;
          }
        });
        return n > 20 ? sum / n : NaN;
      };
      const before = mean(f.ts - 12 * H, f.ts, S.vibration_rms);
      const repairEnd = sink.log.maintenance.find(
        (m) => m.kind === 'failure' && m.ts === f.ts && m.equipment === f.equipment,
      )!.endedAt;
      const after = mean(repairEnd, repairEnd + 24 * H, S.vibration_rms);
      if (Number.isNaN(before) || Number.isNaN(after)) continue;
      expect(before / after).toBeGreaterThan(2);
      const kBefore = mean(f.ts - 12 * H, f.ts, S.vibration_kurtosis);
      const kAfter = mean(repairEnd, repairEnd + 24 * H, S.vibration_kurtosis);
      if (!Number.isNaN(kBefore)) expect(kBefore).toBeGreaterThan(kAfter + 3); // fillers have no kurtosis sensor
      checked++;
    }
    expect(checked).toBeGreaterThan(2);
  });

  it('measures quality per batch, drifting with the truth and crossing spec as the truth says', () => {
    const truth = new Map(sink.log.qualityTruth.map((q) => [q.batchId, q]));
    const pairs = sink.log.quality
      .filter((q) => q.characteristic === 'diameter_mm')
      .map((q) => [q.value, truth.get(q.batchId)!.trueMean] as const);
    expect(pairs.length).toBeGreaterThan(50);
    const mx = pairs.reduce((s, p) => s + p[0], 0) / pairs.length;
    const my = pairs.reduce((s, p) => s + p[1], 0) / pairs.length;
    const cov = pairs.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
    const vx = pairs.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
    const vy = pairs.reduce((s, p) => s + (p[1] - my) ** 2, 0);
    expect(cov / Math.sqrt(vx * vy)).toBeGreaterThan(0.8);
    // A true mean at or beyond the limit has no time left; one inside has some.
    const limits: Record<string, (mean: number) => boolean> = {
      diameter_mm: (m) => m >= 25.05,
      fill_ml: (m) => m <= 495,
    };
    let crossed = 0;
    for (const q of sink.log.qualityTruth) {
      const beyond = limits[q.characteristic]!(q.trueMean);
      expect(q.timeToLimitH === 0, `${q.batchId} ${q.trueMean} ${q.timeToLimitH}`).toBe(beyond);
      if (beyond) crossed++;
    }
    expect(crossed).toBeGreaterThan(0);
  });

  it('runs batches one at a time per equipment; a failure aborts the running batch', () => {
    const finished = sink.log.batches.filter((b) => b.status === 'done' || b.status === 'aborted');
    expect(finished.length).toBe(summary.batches);
    const byEq = new Map<string, typeof finished>();
    for (const b of finished) byEq.set(b.equipment, [...(byEq.get(b.equipment) ?? []), b]);
    for (const list of byEq.values()) {
      list.sort((a, b) => a.ts - b.ts);
      for (let i = 0; i < list.length; i++) {
        expect(list[i]!.endedAt).toBeGreaterThan(list[i]!.ts);
        if (i > 0) expect(list[i]!.ts).toBeGreaterThanOrEqual(list[i - 1]!.endedAt);
      }
    }
    const aborted = finished.filter((b) => b.status === 'aborted');
    expect(aborted.length).toBe(summary.batches_aborted);
    const failureTimes = new Set(sink.log.failures.map((f) => `${f.equipment}@${f.ts}`));
    for (const b of aborted) expect(failureTimes.has(`${b.equipment}@${b.endedAt}`)).toBe(true);
    // A schedule exists ahead of time: batches planned beyond the end of history.
    const end = (START + days * 86400) * 1e6;
    expect(sink.log.batches.some((b) => b.status === 'planned' && b.ts > end)).toBe(true);
  });

  it('sends duplicated and late readings and sensor dropouts, as plants do', () => {
    expect(summary.duplicates_sent).toBeGreaterThan(0);
    expect(summary.late_sent).toBeGreaterThan(0);
    let outOfOrder = 0;
    let dupes = 0;
    let missing = 0;
    for (const { ts, values } of sink.series.values()) {
      for (let i = 1; i < ts.length; i++) {
        if (ts[i]! < ts[i - 1]!) outOfOrder++;
        if (ts[i] === ts[i - 1]) dupes++;
      }
      for (const v of values) if (v[S.vibration_rms] !== v[S.vibration_rms]) missing++;
    }
    expect(outOfOrder).toBe(summary.late_sent);
    expect(dupes).toBe(summary.duplicates_sent);
    expect(missing).toBeGreaterThan(0);
  });
});

describe('high-rate vibration bursts', () => {
  it('are 1 s at 100 Hz every hour on classes that have them, and spikier before bearing failures', async () => {
    const sink = new MemorySink();
    const summary = await simulate(sink, {
      equipment: 8,
      days: 30,
      seed: 3,
      start: START,
      sampleSeconds: 60,
    });
    const bursts = sink.log.bursts;
    expect(summary.burst_samples).toBe(bursts.length);
    const classOf = new Map(sink.specs.map((s) => [s.id, s.cls.name]));
    expect(new Set(bursts.map((b) => classOf.get(b.equipment)))).toEqual(
      new Set(['cnc_spindle', 'pump', 'compressor']),
    );
    // Group by equipment and burst start: 100 samples, 10 ms apart.
    const groups = new Map<string, number[]>();
    for (const b of bursts) {
      const key = `${b.equipment}@${Math.floor(b.ts / 1e6)}`;
      groups.set(key, [...(groups.get(key) ?? []), b.ts]);
    }
    let checked = 0;
    for (const ts of groups.values()) {
      if (ts.length !== 100) continue; // a burst straddling a second boundary splits in two groups
      for (let i = 1; i < ts.length; i++) expect(ts[i]! - ts[i - 1]!).toBe(10_000);
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
    // Kurtosis of the waveform: higher in the bursts of the day before a bearing failure than after repair.
    const kurt = (v: number[]) => {
      const m = v.reduce((s, x) => s + x, 0) / v.length;
      const m2 = v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length;
      return v.reduce((s, x) => s + (x - m) ** 4, 0) / v.length / (m2 * m2);
    };
    const bearing = sink.log.failures.filter(
      (f) => f.mode === 'bearing' && classOf.get(f.equipment) !== 'filler',
    );
    expect(bearing.length).toBeGreaterThan(0);
    let higher = 0;
    let compared = 0;
    for (const f of bearing) {
      const end = sink.log.maintenance.find(
        (m) => m.kind === 'failure' && m.ts === f.ts && m.equipment === f.equipment,
      )!.endedAt;
      const before = bursts
        .filter((b) => b.equipment === f.equipment && b.ts < f.ts && b.ts >= f.ts - 24 * H)
        .map((b) => b.accel);
      const after = bursts
        .filter((b) => b.equipment === f.equipment && b.ts > end && b.ts <= end + 24 * H)
        .map((b) => b.accel);
      if (before.length < 100 || after.length < 100) continue;
      compared++;
      if (kurt(before) > kurt(after)) higher++;
    }
    expect(compared).toBeGreaterThan(0);
    expect(higher).toBe(compared);
  });
});
