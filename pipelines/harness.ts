/**
 * The one evaluation harness: walk-forward folds, what each fold's training side may see, the
 * purge gaps, and the training sets of the model kinds. Backtests, training, first models and
 * champion/challenger all take their rows from here, so a rule about cuts and purges is written
 * once.
 *
 * The rules, by construction:
 * - A training side at `cut` gets labels from label functions told that observation ends at
 *   `cut`: they ignore every failure at or after it, and an instant whose outcome is not known by
 *   then is unlabelled whatever it will turn out to be (so the last H hours before a cut are not
 *   positives-only). Features are causal (features/compute.ts), so nothing at or after the cut
 *   reaches a training row; tests/pipelines/harness.test.ts changes, adds and deletes history after
 *   each cut and checks the training side and the model stay bit-identical.
 * - A purge gap separates fitting rows from calibration rows and training rows from test rows: a
 *   fitting row's label is decided before the calibration slice starts (failure: its horizon is
 *   over; RUL: targets censored at the slice's start), and training labels end before the cut.
 */
import { failureWithin, remainingLife } from '../features/index.ts';
import type { FailureEvent } from '../features/index.ts';
import { rulTargets } from './rul-targets.ts';
import type { RulTargets } from './rul-targets.ts';

/** Instants with their features and the failures observed, as a model kind sees them. */
export interface Evidence {
  /** Epoch µs per row. */
  readonly ts: Float64Array;
  readonly equipment: readonly string[];
  /** One column per feature, in `names` order. */
  readonly columns: readonly Float64Array[];
  readonly names: readonly string[];
  readonly failures: readonly FailureEvent[];
  /** Exclusive end of observation (µs): nothing at or after it is known. */
  readonly observedUntil: number;
  /** The features' longest window (h): the RUL kind's purge (default RUL_PURGE_HOURS). */
  readonly lookbackHours?: number;
  /**
   * Rows are the last reading of each interval of this many seconds (epoch-aligned), when
   * sampled: whether a row exists at an instant depends on the readings up to its interval's end.
   */
  readonly everySeconds?: number;
}

/**
 * The end (µs) of what a training side cut at `cut` knows the rows of: the start of the sampling
 * interval the cut falls in (its last reading, and so its row, may lie after the cut), or the cut
 * itself when rows are not sampled.
 */
export function rowsKnownBefore(ev: Pick<Evidence, 'everySeconds'>, cut: number): number {
  const every = (ev.everySeconds ?? 0) * 1e6;
  return every > 0 ? Math.floor(cut / every) * every : cut;
}

export interface TrainingSet {
  /** Fitting rows: indices into the evidence, in (time, equipment) order. */
  readonly rows: readonly number[];
  /** Targets aligned with `rows`. */
  readonly y: Float64Array;
  /** Calibration rows, a later slice than the fitting rows with a purge gap between. */
  readonly calRows: readonly number[];
  readonly calY: Float64Array;
  /** Where the calibration slice starts (µs); the fitting rows' labels are decided before it. */
  readonly calStart: number;
}

/** Share of the labelled training instants (the latest) that calibrates instead of fitting. */
export const CALIBRATION_SHARE = 0.25;
/** Purge of the RUL kind (its labels have no horizon) when the evidence does not state its longest window. */
export const RUL_PURGE_HOURS = 24;

export interface Fold {
  readonly k: number;
  /** The training side sees only what is known strictly before this instant (µs). */
  readonly cut: number;
  /** Test instants lie in [cut, end). */
  readonly end: number;
}

function span(ts: Float64Array): { t0: number; t1: number } {
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const t of ts) {
    t0 = Math.min(t0, t);
    t1 = Math.max(t1, t);
  }
  return { t0, t1 };
}

/**
 * Walk-forward folds over the instants: the first cut half-way through, the rest of the span split
 * into `folds` test periods, each fold trained on everything before its own cut.
 */
export function walkForwardFolds(ts: Float64Array, folds: number): Fold[] {
  const { t0, t1 } = span(ts);
  const at = (k: number) => t0 + (0.5 + (0.5 * k) / folds) * (t1 - t0);
  return Array.from({ length: folds }, (_, k) => ({
    k,
    cut: at(k),
    end: k === folds - 1 ? t1 + 1 : at(k + 1),
  }));
}

/** Row indices where `keep` holds, in (time, equipment) order: one canonical order for training. */
export function rowsWhere(ev: Evidence, keep: (i: number) => boolean): number[] {
  const rows: number[] = [];
  for (let i = 0; i < ev.ts.length; i++) if (keep(i)) rows.push(i);
  return rows.sort(
    (a, b) =>
      (ev.ts[a] as number) - (ev.ts[b] as number) ||
      ((ev.equipment[a] as string) < (ev.equipment[b] as string) ? -1 : 1),
  );
}

/**
 * Per equipment, the instants (µs, ascending) at which the evidence first shows a maintenance it
 * had not shown before: `hours_since_maintenance` at 0 (one in progress) after an instant where it
 * was not, or the end it counts from moving forward with no instant in progress between (a short
 * one between two instants). What the live engine knows from the maintenance log at each instant,
 * so a replay can resolve alerts where the live engine would.
 */
export function maintenanceSeen(ev: Evidence): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const a = ev.names.indexOf('hours_since_maintenance');
  if (a < 0) return out;
  const age = ev.columns[a] as Float64Array;
  const last = new Map<string, { end: number; inProgress: boolean }>();
  for (const i of rowsWhere(ev, (r) => (age[r] as number) >= 0)) {
    const h = age[i] as number;
    const eq = ev.equipment[i] as string;
    const t = ev.ts[i] as number;
    const prev = last.get(eq);
    const inProgress = h === 0;
    const end = inProgress ? (prev?.end ?? -Infinity) : t - h * 3.6e9;
    // A second of slack: the age is a rounded division of the same instants.
    const seen = prev !== undefined && !prev.inProgress && (inProgress || end > prev.end + 1e6);
    if (seen) {
      const list = out.get(eq);
      if (list) list.push(t);
      else out.set(eq, [t]);
    }
    last.set(eq, { end, inProgress });
  }
  return out;
}

/** Equipment-months covered by rows (equipment seen x their time span). */
export function equipmentMonths(ev: Evidence, rows: readonly number[]): number {
  if (rows.length === 0) return 0;
  let t0 = Infinity;
  let t1 = -Infinity;
  const eqs = new Set<string>();
  for (const i of rows) {
    t0 = Math.min(t0, ev.ts[i] as number);
    t1 = Math.max(t1, ev.ts[i] as number);
    eqs.add(ev.equipment[i] as string);
  }
  return (eqs.size * (t1 - t0)) / (30 * 86400e6);
}

/** Columns of the given rows, as a forest takes them. */
export function pick(ev: Evidence, rows: readonly number[]): Float64Array[] {
  return columnsAt(ev.columns, rows);
}

/** The columns' values at these row positions, in columns of their own. */
export function columnsAt(columns: readonly Float64Array[], rows: readonly number[]): Float64Array[] {
  // Plain loops: Float64Array.from with a map function is several times slower, and this copies
  // every feature column of every fitting and calibration row.
  return columns.map((c) => {
    const out = new Float64Array(rows.length);
    for (let j = 0; j < rows.length; j++) out[j] = c[rows[j] as number] as number;
    return out;
  });
}

/** Where the calibration slice starts: at the instant of the first of its latest `share` of rows. */
function calibrationStart(ev: Evidence, labelled: readonly number[]): number {
  const k = Math.floor(labelled.length * (1 - CALIBRATION_SHARE));
  return labelled.length === 0 ? Infinity : (ev.ts[labelled[k] as number] as number);
}

/**
 * Failure within `horizonHours` (of `mode`, or any) as the training side at `cut` knows it: rows
 * whose horizon is over before the cut; fitting rows' horizons also over before the calibration
 * slice (a purge of H).
 */
export function failureTrainingSet(
  ev: Evidence,
  cut: number,
  o: { horizonHours: number; mode?: string },
): TrainingSet {
  const H = o.horizonHours * 3.6e9;
  const y = failureWithin(ev.ts, ev.equipment, ev.failures, H, cut, o.mode);
  const labelled = rowsWhere(ev, (i) => y[i] === y[i]);
  const calStart = calibrationStart(ev, labelled);
  const rows = labelled.filter((i) => (ev.ts[i] as number) + H < calStart);
  const calRows = labelled.filter((i) => (ev.ts[i] as number) >= calStart);
  return {
    rows,
    y: Float64Array.from(rows, (i) => y[i] as number),
    calRows,
    calY: Float64Array.from(calRows, (i) => y[i] as number),
    calStart,
  };
}

/** Blocks of the training side's cross-fitting (failure kind): its calibration and alert threshold. */
export const CROSS_FIT_BLOCKS = 4;

export interface CrossFitSet {
  /** Every row whose label the training side knows (outcome decided before the cut), in (time, equipment) order. */
  readonly rows: readonly number[];
  readonly y: Float64Array;
  /**
   * Contiguous time blocks of `rows`: each block's rows (`held`) are scored by a model fitted on
   * `fit`, the rest of the training side less a purge on both sides (positions into `rows`).
   */
  readonly blocks: readonly { readonly held: readonly number[]; readonly fit: readonly number[] }[];
  /**
   * The side is too short for its purges: a block's fitting rows would span less than half of
   * it (the side must span (2H + the longest window) / (1/2 - 1/k)). Out-of-fold forests fitted on
   * so little stand poorly for the one fitted on all of it; the caller calibrates on the latest
   * quarter instead (on a week of history at 24 h, the first start's, they did worse: docs/models.md).
   */
  readonly short: boolean;
}

/**
 * Failure within `horizonHours` as the training side at `cut` knows it, split for cross-fitting:
 * every labelled row, in `k` contiguous blocks of about equal size. A block's fitting rows leave
 * out every row whose label window (t, t + H] overlaps the block's ((start, end + H]), i.e. the H
 * hours before it, and an embargo of H plus the features' longest window after it (a later row
 * reads the block's readings in its windows). Everything stays before the cut: cross-fitting
 * chooses the calibration and the alert threshold from the training side alone.
 */
export function failureCrossFitSet(
  ev: Evidence,
  cut: number,
  o: { horizonHours: number; mode?: string; blocks?: number },
): CrossFitSet {
  const H = o.horizonHours * 3.6e9;
  const after = H + (ev.lookbackHours ?? RUL_PURGE_HOURS) * 3.6e9;
  const label = failureWithin(ev.ts, ev.equipment, ev.failures, H, cut, o.mode);
  const rows = rowsWhere(ev, (i) => label[i] === label[i]);
  const y = Float64Array.from(rows, (i) => label[i] as number);
  const k = Math.max(2, o.blocks ?? CROSS_FIT_BLOCKS);
  const n = rows.length;
  const blocks: { held: number[]; fit: number[] }[] = [];
  if (n === 0) return { rows, y, blocks, short: true };
  const t = (p: number) => ev.ts[rows[p] as number] as number;
  // Block edges at instants, so one instant's rows (every equipment) fall in one block.
  const starts: number[] = [];
  for (let b = 0; b < k; b++) {
    const at = t(Math.floor((b * n) / k));
    if (starts.length === 0 || at > (starts[starts.length - 1] as number)) starts.push(at);
  }
  starts.forEach((start, b) => {
    const end = b + 1 < starts.length ? (starts[b + 1] as number) : Infinity;
    const held: number[] = [];
    const fit: number[] = [];
    let last = -Infinity;
    for (let p = 0; p < n; p++) {
      const tp = t(p);
      if (tp >= start && tp < end) {
        held.push(p);
        last = tp;
      }
    }
    for (let p = 0; p < n; p++) {
      const tp = t(p);
      if (tp + H < start || tp > last + after) fit.push(p);
    }
    blocks.push({ held, fit });
  });
  const spanned = (ev.ts[rows[n - 1] as number] as number) - (ev.ts[rows[0] as number] as number);
  return { rows, y, blocks, short: spanned * (0.5 - 1 / k) < H + after };
}

/**
 * Capped RUL as the training side at `cut` knows it. Fitting rows: targets as known at the start
 * of the calibration slice (censored instants imputed, see rul-targets.ts), rows a purge before it.
 * Calibration rows (for the interval): the later slice's instants a purge before the cut, with
 * their RUL as known by the cut (a failure seen, or the cap passed) or NaN: censored, the machine
 * ran at least until the cut.
 */
export function rulTrainingSet(
  ev: Evidence,
  cut: number,
  o: { capHours: number; purgeHours?: number },
): TrainingSet & { readonly targets: RulTargets } {
  const purge = (o.purgeHours ?? ev.lookbackHours ?? RUL_PURGE_HOURS) * 3.6e9;
  const a = ev.names.indexOf('hours_since_maintenance');
  const age = a < 0 ? undefined : ev.columns[a];
  const truth = remainingLife(ev.ts, ev.equipment, ev.failures, cut, o.capHours);
  const before = Math.min(cut - purge, rowsKnownBefore(ev, cut));
  const labelled = rowsWhere(ev, (i) => (ev.ts[i] as number) < before);
  const calStart = calibrationStart(ev, labelled);
  const targets = rulTargets(ev.ts, ev.equipment, ev.failures, calStart, o.capHours, age);
  const t = targets.target;
  const rows = labelled.filter((i) => (ev.ts[i] as number) < calStart - purge && t[i] === t[i]);
  // Censored ones too (NaN target): the interval learns that they lived at least until the cut.
  const calRows = labelled.filter((i) => (ev.ts[i] as number) >= calStart);
  return {
    rows,
    y: Float64Array.from(rows, (i) => t[i] as number),
    calRows,
    calY: Float64Array.from(calRows, (i) => truth[i] as number),
    calStart,
    targets,
  };
}

/** Test rows of a fold: instants in [cut, end) whose label (by `label`) is known. */
export function testRows(ev: Evidence, fold: Fold, label: Float64Array): number[] {
  return rowsWhere(
    ev,
    (i) => (ev.ts[i] as number) >= fold.cut && (ev.ts[i] as number) < fold.end && label[i] === label[i],
  );
}

/** The evidence without some equipment (held out of training to be tested alone). */
export function withoutEquipment(ev: Evidence, out: ReadonlySet<string>): Evidence {
  if (out.size === 0) return ev;
  const keep = rowsWhere(ev, (i) => !out.has(ev.equipment[i] as string));
  return {
    ...ev,
    ts: Float64Array.from(keep, (i) => ev.ts[i] as number),
    equipment: keep.map((i) => ev.equipment[i] as string),
    columns: pick(ev, keep),
    failures: ev.failures.filter((f) => !out.has(f.equipment)),
  };
}

/**
 * The sets of sensors the training equipment reported (a sensor counts when any of its value
 * columns, not its missing share or count, has a value on one of the equipment's rows), distinct,
 * each sorted. An equipment scored
 * later that reports less than every one of them lacks sensors the model learnt from.
 */
export function sensorProfiles(
  ev: Evidence,
  rows: readonly number[],
  sensors: readonly string[],
): string[][] {
  // Columns that are NaN without a value (a window's missing share or count is a number even then).
  const valued = (n: string) => !/__(missing|count)__/.test(n);
  const cols = sensors.map((s) =>
    ev.names.flatMap((n, j) => (n.startsWith(`${s}__`) && valued(n) ? [j] : [])),
  );
  const byEq = new Map<string, Set<string>>();
  for (const i of rows) {
    const eq = ev.equipment[i] as string;
    let set = byEq.get(eq);
    if (set === undefined) byEq.set(eq, (set = new Set()));
    sensors.forEach((s, k) => {
      if (
        !set.has(s) &&
        (cols[k] as number[]).some(
          (j) => (ev.columns[j] as Float64Array)[i] === (ev.columns[j] as Float64Array)[i],
        )
      )
        set.add(s);
    });
  }
  const distinct = new Map<string, string[]>();
  for (const set of byEq.values()) {
    const list = [...set].sort();
    distinct.set(list.join(','), list);
  }
  return [...distinct.values()];
}
