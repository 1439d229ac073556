/**
 * The harness's leakage property: whatever happens at or after a fold's cut (telemetry changed,
 * added or deleted; maintenance and failures changed, added or deleted) leaves that fold's
 * training matrix, labels and trained model bit-identical.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { trainForest } from '../../models/index.ts';
import { fitContextZ, fitFailure } from '../../pipelines/failure-kind.ts';
import {
  failureCrossFitSet,
  failureTrainingSet,
  rulTrainingSet,
  walkForwardFolds,
} from '../../pipelines/harness.ts';
import type { Evidence, TrainingSet } from '../../pipelines/harness.ts';
import { Rng } from '../../src/sim/rng.ts';
import { evidenceOf, simulatedHistory } from '../helpers/plant-evidence.ts';
import type { PlantHistory } from '../helpers/plant-evidence.ts';
import { simPlant } from '../helpers/plant.ts';

/** The simulator's plant of this file's machines, and its one model scope. */
const SIM = simPlant(4);

const START = Date.UTC(2025, 5, 1) / 1000;

/** Everything a training side is made of, keyed by (equipment, instant), in a canonical order. */
function snapshot(ev: Evidence, set: TrainingSet): string[] {
  const row = (i: number, y: number, part: string) =>
    [part, ev.equipment[i], ev.ts[i], y, ...ev.columns.map((c) => c[i] as number)]
      .map((v) => (typeof v === 'number' ? (Object.is(v, -0) ? '-0' : String(v)) : String(v)))
      .join('|');
  return [
    ...set.rows.map((i, j) => row(i, set.y[j] as number, 'fit')),
    ...set.calRows.map((i, j) => row(i, set.calY[j] as number, 'cal')),
  ];
}

/** A forest trained on the set, serialised: equal strings mean bit-identical models. */
function model(ev: Evidence, set: TrainingSet, task: 'classification' | 'regression'): string {
  if (set.rows.length === 0) return 'no rows';
  const X = ev.columns.map((c) => Float64Array.from(set.rows, (i) => c[i] as number));
  const f = trainForest(X, Float64Array.from(set.y), { task, trees: 4, maxDepth: 6, seed: 3 });
  return JSON.stringify(
    f.trees.map((t) => [Array.from(t.feature), Array.from(t.threshold), Array.from(t.value)]),
  );
}

/** History changed at and after `cut` only, in one of several ways chosen by `rng`. */
function changeAfter(h: PlantHistory, cut: number, rng: Rng): { history: PlantHistory; what: string } {
  const readings = h.readings.flatMap((r) => {
    if (r.ts < cut) return [r];
    const u = rng.next();
    if (u < 0.1) return []; // deleted
    if (u < 0.3) return [{ ...r, values: r.values.map((v) => v * rng.uniform(0.5, 2)) }]; // changed
    if (u < 0.35) return [r, { ...r, ts: r.ts + 7e6, values: r.values.map(() => rng.normal()) }]; // added
    return [r];
  });
  const maintenance = h.maintenance.filter((m) => m.ts < cut || rng.chance(0.5)); // deleted
  const equipment = [...new Set(h.readings.map((r) => r.equipment))];
  for (let k = 0; k < 4; k++) {
    // Failures and repairs added after the cut.
    const ts = cut + rng.uniform(0, h.to - cut);
    maintenance.push({
      equipment: rng.pick(equipment),
      ts,
      endedAt: ts + 3.6e9,
      kind: rng.chance(0.7) ? 'failure' : 'preventive',
      mode: rng.pick(['bearing', 'seal_wear', 'thermal']),
    });
  }
  const batches = h.batches
    .filter((b) => b.ts < cut || rng.chance(0.7))
    .map((b) => (b.ts >= cut ? { ...b, load: b.load * 1.5 } : b));
  return {
    history: { ...h, readings, maintenance, batches },
    what: `${h.readings.length - readings.length} readings fewer, ${maintenance.length - h.maintenance.length} maintenance events more`,
  };
}

describe('rows of the sampling interval the cut falls in', () => {
  it('are left out of the RUL side even when its purge is shorter than the interval', () => {
    // One machine, a row per 10 min interval (its last reading); the cut 5 min into interval 1000.
    const n = 2000;
    const ts = Float64Array.from({ length: n }, (_, k) => k * 600e6);
    const ev: Evidence = {
      ts,
      equipment: Array.from({ length: n }, () => 'm1'),
      columns: [Float64Array.from({ length: n }, (_, k) => k % 7)],
      names: ['x__mean__1m'],
      failures: [300, 700].map((k) => ({ equipment: 'm1', ts: k * 600e6 + 1, mode: 'bearing' })),
      observedUntil: n * 600e6,
      everySeconds: 600,
    };
    const cut = 1000 * 600e6 + 300e6;
    const set = rulTrainingSet(ev, cut, { capHours: 168, purgeHours: 0.01 });
    const seen = [...set.rows, ...set.calRows];
    expect(seen.length).toBeGreaterThan(500);
    expect(Math.max(...seen.map((i) => ts[i]!))).toBeLessThan(1000 * 600e6);
  });
});

describe('evaluation harness: no fold sees past its cut', () => {
  let history: PlantHistory;
  let base: Evidence;
  beforeAll(async () => {
    history = await simulatedHistory({ equipment: 4, days: 18, seed: 21, start: START, sampleSeconds: 120 });
    base = evidenceOf(history, SIM.scope.featureSet);
  }, 120_000);

  it('changing, adding or deleting telemetry or maintenance after a cut leaves the training side bit-identical', () => {
    const rng = new Rng(5, 'leak');
    const folds = walkForwardFolds(base.ts, 3);
    expect(folds).toHaveLength(3);
    const kinds = [
      {
        name: 'failure any 24 h',
        task: 'classification',
        set: (ev: Evidence, cut: number) => failureTrainingSet(ev, cut, { horizonHours: 24 }),
      },
      {
        name: 'failure bearing 24 h',
        task: 'classification',
        set: (ev: Evidence, cut: number) =>
          failureTrainingSet(ev, cut, { horizonHours: 24, mode: 'bearing' }),
      },
      {
        name: 'failure any 72 h',
        task: 'classification',
        set: (ev: Evidence, cut: number) => failureTrainingSet(ev, cut, { horizonHours: 72 }),
      },
      {
        name: 'RUL cap 168 h',
        task: 'regression',
        set: (ev: Evidence, cut: number) => rulTrainingSet(ev, cut, { capHours: 168 }),
      },
    ] as const;
    for (const fold of folds) {
      const changed = changeAfter(history, fold.cut, rng);
      const ev = evidenceOf(changed.history, SIM.scope.featureSet);
      for (const kind of kinds) {
        const before = kind.set(base, fold.cut);
        const after = kind.set(ev, fold.cut);
        const label = `${kind.name}, fold ${fold.k} (${changed.what})`;
        expect(before.rows.length, label).toBeGreaterThan(50);
        const a = snapshot(ev, after);
        const b = snapshot(base, before);
        const first = b.findIndex((r, j) => a[j] !== r);
        // One line for the first difference (a whole matrix is unreadable in a failure message).
        expect(
          first < 0 && a.length === b.length
            ? 'identical'
            : `${a.length} vs ${b.length} rows; first differs at ${first}: ${(a[first] ?? '').slice(0, 80)} vs ${(b[first] ?? '').slice(0, 80)}`,
          label,
        ).toBe('identical');
        expect(model(ev, after, kind.task), label).toBe(model(base, before, kind.task));
      }
    }
  }, 240_000);

  it("the failure forest's context z normaliser sees nothing from its calibration slice on", () => {
    const rng = new Rng(6, 'leak-z');
    for (const fold of walkForwardFolds(base.ts, 3)) {
      const { calStart } = failureTrainingSet(base, fold.cut, { horizonHours: 24 });
      const before = fitContextZ(base, calStart, 24);
      expect(before, `fold ${fold.k}`).not.toBeNull();
      expect(Object.keys(before!.groups).length, `fold ${fold.k}`).toBeGreaterThan(0);
      // Telemetry, maintenance, failures and batches changed from the slice's start on: the same fit.
      const later = changeAfter(history, calStart, rng);
      const after = fitContextZ(evidenceOf(later.history, SIM.scope.featureSet), calStart, 24);
      expect(JSON.stringify(after), `fold ${fold.k} (${later.what})`).toBe(JSON.stringify(before));
      // History cut off at the slice's start (every machine silent from then on): the same fit.
      const cutOff = {
        ...history,
        readings: history.readings.filter((r) => r.ts < calStart),
        maintenance: history.maintenance.filter((m) => m.ts < calStart),
        batches: history.batches.filter((b) => b.ts < calStart),
      };
      const truncated = fitContextZ(evidenceOf(cutOff, SIM.scope.featureSet), calStart, 24);
      expect(JSON.stringify(truncated), `fold ${fold.k}, history cut off`).toBe(JSON.stringify(before));
      // The same changes three days earlier reach the fitting side's normal instants: a different fit.
      const earlier = changeAfter(history, calStart - 3 * 86400e6, rng);
      const moved = fitContextZ(evidenceOf(earlier.history, SIM.scope.featureSet), calStart, 24);
      expect(JSON.stringify(moved), `fold ${fold.k}`).not.toBe(JSON.stringify(before));
    }
  }, 240_000);

  it('cross-fitting: blocks cover the training side once, and no fitting row shares a label window with its block', () => {
    for (const fold of walkForwardFolds(base.ts, 3))
      for (const horizonHours of [24, 72]) {
        const label = `fold ${fold.k}, ${horizonHours} h`;
        const H = horizonHours * 3.6e9;
        const after = H + (base.lookbackHours ?? 24) * 3.6e9;
        const cf = failureCrossFitSet(base, fold.cut, { horizonHours, blocks: 4 });
        const known = failureTrainingSet(base, fold.cut, { horizonHours });
        // Every row whose label is known at the cut, the fitting, purge and calibration rows alike.
        expect(cf.rows.length, label).toBeGreaterThan(known.rows.length + known.calRows.length);
        expect(cf.blocks, label).toHaveLength(4);
        const t = (p: number) => base.ts[cf.rows[p] as number] as number;
        // Too short for its purges: a block's fitting rows would span less than half the side.
        const span = Math.max(...cf.rows.map((_, p) => t(p))) - Math.min(...cf.rows.map((_, p) => t(p)));
        expect(cf.short, `${label}: ${span / 86400e6} days`).toBe(span / 4 < H + after);
        const held = cf.blocks.flatMap((b) => b.held).sort((a, b) => a - b);
        expect(held, label).toEqual(cf.rows.map((_, p) => p));
        for (const [b, block] of cf.blocks.entries()) {
          const start = Math.min(...block.held.map(t));
          const end = Math.max(...block.held.map(t));
          for (const p of block.fit) {
            // (t, t + H] is clear of (start, end + H], and the embargo after the block holds.
            const clear = t(p) + H < start || t(p) > end + after;
            if (!clear) expect(`row ${p} at ${t(p)} in block ${b} [${start}, ${end}]`, label).toBe('purged');
          }
          // Nothing purged needlessly: a row well clear of the block fits.
          const far = cf.rows
            .map((_, p) => p)
            .filter((p) => t(p) + H < start - 3.6e9 || t(p) > end + after + 3.6e9);
          expect(
            far.every((p) => block.fit.includes(p)),
            `${label}, block ${b}`,
          ).toBe(true);
        }
        // A block may have no fitting rows when the purges span the rest of a short side; not all do.
        expect(cf.blocks.filter((b) => b.fit.length > 0).length, label).toBeGreaterThan(1);
        expect(Math.max(...cf.rows.map((_, p) => t(p))), label).toBeLessThan(fold.cut);
      }
  });

  it('the cross-fitted failure model (forest, calibration, alert threshold) is bit-identical whatever happens after its cut', async () => {
    const rng = new Rng(7, 'leak-cf');
    // At 12 h (at 24 h these sides are too short for the purges); folds 1 and 2: fold 0's failures
    // all lie in one block, where it falls back to the latest quarter.
    for (const fold of walkForwardFolds(base.ts, 3).slice(1)) {
      const changed = changeAfter(history, fold.cut, rng);
      const ev = evidenceOf(changed.history, SIM.scope.featureSet);
      const o = { horizonHours: 12, trees: 6, crossFit: 4 } as const;
      const [a, b] = [await fitFailure(base, fold.cut, o), await fitFailure(ev, fold.cut, o)];
      const label = `fold ${fold.k} (${changed.what})`;
      const dump = (f: typeof a) =>
        JSON.stringify({
          trees: f.forest.trees.map((t) => [
            Array.from(t.feature),
            Array.from(t.threshold),
            Array.from(t.value),
          ]),
          calibrator: f.calibrator,
          threshold: f.alertThreshold,
          oneSensor: f.oneSensor,
          climatology: f.climatology,
          z: f.contextZ,
        });
      expect(a.crossFitBlocks, label).toBe(4);
      expect(a.set.calRows.length, label).toBeGreaterThan(a.set.rows.length / 2);
      expect(dump(b), label).toBe(dump(a));
    }
  }, 240_000);

  it('cross-fitting falls back to the latest quarter where the side is too short for its purges', async () => {
    const [first] = walkForwardFolds(base.ts, 3);
    const o = { horizonHours: 24, trees: 6 } as const;
    expect(failureCrossFitSet(base, first!.cut, o).short).toBe(true);
    const [cross, slice] = [
      await fitFailure(base, first!.cut, o),
      await fitFailure(base, first!.cut, { ...o, crossFit: 0 }),
    ];
    expect(cross.crossFitBlocks).toBe(0);
    expect(JSON.stringify([cross.calibrator, cross.alertThreshold, cross.set.calStart])).toBe(
      JSON.stringify([slice.calibrator, slice.alertThreshold, slice.set.calStart]),
    );
  }, 120_000);
});
