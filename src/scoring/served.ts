/**
 * What answers a score: the promoted versions, found in the registry by their declared fields
 * (kind, horizon, mode, cap; never by parsing names), each wrapped with what actually answers for
 * it. A version whose gate failed answers through the reference it lost to, named as such
 * (`baseline:one-sensor <feature>`, `baseline:climatology`, `baseline:mean-life`, ...) with the
 * reason; a version no backtest judged answers as a model and says it was not judged.
 */
import type { ModelScope } from '../../pipelines/scopes.ts';
import {
  baselineName,
  calibrate,
  calibratorOf,
  rulInterval,
  explainRow,
  failureBaselineAt,
  predictRow,
  rulBaselineAt,
  topContributions,
  treePredictions,
} from '../../models/index.ts';
import { AnomalyScorer, ContextZExpander } from '../../models/index.ts';
import type {
  AnomalyDriver,
  AnomalyScore,
  FailureBaseline,
  LoadedAnomaly,
  LoadedModel,
  ModelMeta,
  ModelRegistry,
  RulBaseline,
} from '../../models/index.ts';

export interface Served {
  /** The registered version behind the answer, `name@version`. */
  readonly version: string;
  /** What answers: "model", or the baseline's name. */
  readonly answeredBy: string;
  /** Why a baseline answers, or that no backtest judged the model; null when the model passed. */
  readonly note: string | null;
  readonly model: LoadedModel;
  /** Sensors whose features the answering predictor reads (an equipment without them cannot be scored). */
  readonly sensors: readonly string[];
}

export interface ServedFailure extends Served {
  readonly horizonHours: number;
  readonly mode: string;
  /** Alert threshold for the false-alarm budget when the model answers (null: none meets it). */
  readonly alertThreshold: number | null;
  /** The work-order level for the work-order budget (null: halfway from the alert threshold). */
  readonly workOrderThreshold: number | null;
  probability(x: Float64Array): number;
  drivers(x: Float64Array, n: number): { feature: string; contribution: number }[];
}

export interface ServedRul extends Served {
  readonly capHours: number;
  /** Point and 10-90 % interval, hours. `interval` says where the bounds come from. */
  predict(x: Float64Array): { hours: number; low: number; high: number; interval: 'conformal' | 'trees' };
}

/** Declared fields of a version; versions saved before they were declared state them in `target`. */
export function declared(meta: ModelMeta): { horizonHours?: number; mode?: string; capHours?: number } {
  const within = /within (\d+) h \(([^)]*)\)/.exec(meta.target ?? '');
  const capped = /capped at (\d+)/.exec(meta.target ?? '');
  return {
    horizonHours: meta.horizonHours ?? (within ? Number(within[1]) : undefined),
    mode: meta.mode ?? (within ? (within[2] === 'any mode' ? 'any' : within[2]) : undefined),
    capHours: meta.capHours ?? (capped ? Number(capped[1]) : undefined),
  };
}

/** The sensor a feature column reads (`<sensor>__<stat>__<window>`), or none for context features. */
function sensorOf(feature: string): string | null {
  const k = feature.indexOf('__');
  return k < 0 ? null : feature.slice(0, k);
}

function sensorsOfModel(model: LoadedModel): string[] {
  const used = new Set<string>();
  model.forest.importance.forEach((v, j) => {
    const s = v > 0 ? sensorOf(model.meta.featureNames[j] ?? '') : null;
    if (s !== null) used.add(s);
  });
  return [...used].sort();
}

/**
 * The baseline a failed gate names, if the version carries it. The walk-forward judged the kind of
 * reference (its one-sensor rule chose a feature on each fold's training rows); the version chose
 * its own feature on all of its training rows, and that rule is the one to answer with, whichever
 * feature the gate's first fold happened to name.
 */
function gateBaseline<B extends FailureBaseline | RulBaseline>(meta: ModelMeta): B | null {
  if (meta.gate === undefined || meta.gate.passed) return null;
  const serve = meta.gate.serve;
  const list = meta.baselines ?? [];
  const b =
    list.find((x) => baselineName(x) === serve) ??
    (serve.startsWith('baseline:one-sensor') ? list.find((x) => x.kind === 'one-sensor') : undefined);
  return (b as B | undefined) ?? null;
}

function note(meta: ModelMeta, baseline: object | null): string | null {
  if (meta.gate === undefined) return 'no backtest judged this model against its references';
  if (meta.gate.passed) return null;
  return baseline === null
    ? `lost to its references (${meta.gate.reason}) but carries no ${meta.gate.serve}: the model answers`
    : `the model lost to its references (${meta.gate.reason}); ${baselineName(baseline as FailureBaseline | RulBaseline)} answers`;
}

export function servedFailure(model: LoadedModel): ServedFailure {
  const meta = model.meta;
  const d = declared(meta);
  const baseline = gateBaseline<FailureBaseline>(meta);
  const version = `${meta.name}@${meta.version}`;
  const cal = meta.calibration && calibratorOf(meta.calibration);
  const out = new Float64Array(2);
  // The forest's input: the feature set's vector, then its context z columns where it reads them.
  const cz = model.contextZ;
  const expander =
    cz === null
      ? null
      : new ContextZExpander(cz, meta.featureNames.slice(0, meta.featureNames.length - cz.features.length));
  const wide = expander === null ? null : new Float64Array(expander.width);
  const input = (x: Float64Array) => (expander === null ? x : expander.expandRow(x, wide!));
  const climatology = (meta.baselines ?? []).find((b) => b.kind === 'climatology');
  return {
    version,
    answeredBy: baseline === null ? 'model' : baselineName(baseline),
    note: note(meta, baseline),
    model,
    sensors:
      baseline === null
        ? sensorsOfModel(model)
        : baseline.kind === 'one-sensor'
          ? [sensorOf(baseline.feature)].filter((s): s is string => s !== null)
          : [],
    horizonHours: d.horizonHours ?? NaN,
    mode: d.mode ?? 'any',
    alertThreshold: baseline === null ? (meta.alertThreshold ?? null) : null,
    workOrderThreshold: baseline === null ? (meta.workOrderThreshold ?? null) : null,
    probability(x) {
      if (baseline !== null) return failureBaselineAt(baseline, x);
      const raw = predictRow(model.compiled, input(x), out)[1] as number;
      return cal ? calibrate(cal, raw) : raw;
    },
    drivers(x, n) {
      if (baseline === null)
        return topContributions(explainRow(model.compiled, input(x)), meta.featureNames, n);
      if (baseline.kind === 'climatology') return [];
      // The rule's one feature drives it: its contribution is how far it moves the probability off climatology.
      const base = climatology?.kind === 'climatology' ? climatology.rate : 0;
      return [{ feature: baseline.feature, contribution: failureBaselineAt(baseline, x) - base }];
    },
  };
}

export function servedRul(model: LoadedModel): ServedRul {
  const meta = model.meta;
  const cap = declared(meta).capHours ?? 168;
  const baseline = gateBaseline<RulBaseline>(meta);
  return {
    version: `${meta.name}@${meta.version}`,
    answeredBy: baseline === null ? 'model' : baselineName(baseline),
    note: note(meta, baseline),
    model,
    sensors: baseline === null ? sensorsOfModel(model) : [],
    capHours: cap,
    predict(x) {
      if (baseline !== null) {
        const raw = rulBaselineAt(baseline, x);
        const iv = rulInterval(raw, baseline.intervals, cap);
        return { hours: iv?.hours ?? raw, low: iv?.low ?? NaN, high: iv?.high ?? NaN, interval: 'conformal' };
      }
      const each = treePredictions(model.compiled, x).sort();
      const hours = each.reduce((s, v) => s + v, 0) / each.length;
      const iv = rulInterval(hours, meta.intervals, cap);
      if (iv !== null) return { ...iv, interval: 'conformal' };
      // A version saved without conformal bounds: the trees' spread, which backtests show too narrow.
      const q = (p: number) => each[Math.min(each.length - 1, Math.floor(p * each.length))] as number;
      return { hours, low: q(0.1), high: q(0.9), interval: 'trees' };
    },
  };
}

/** The anomaly model of a scope: a health index from normal operation, with its drivers. */
export interface ServedAnomaly {
  readonly version: string;
  readonly alarmHealth: number;
  /** Sensors the model scores (an equipment reporting none of them cannot be scored). */
  readonly sensors: readonly string[];
  /** Health, percentile and drivers at one feature vector (the scope's feature-set order). */
  assess(x: Float64Array, drivers: number): { score: AnomalyScore; drivers: AnomalyDriver[] };
}

export function servedAnomaly(loaded: LoadedAnomaly, fs: ModelScope['featureSet']): ServedAnomaly {
  const m = loaded.model;
  const at = (name: string | null) => (name === null ? -1 : fs.columns.indexOf(name));
  const idx = m.features.map((f) => at(f));
  const [load, product, group] = [at(m.load), at(m.product), at(m.group)];
  const scorer = new AnomalyScorer(m);
  const row = new Float64Array(idx.length);
  const v = (x: Float64Array, j: number) => (j < 0 ? NaN : (x[j] as number));
  return {
    version: `${loaded.meta.name}@${loaded.meta.version}`,
    alarmHealth: loaded.meta.alarmHealth ?? 0.5,
    sensors: [...new Set(m.features.map((f) => f.slice(0, f.indexOf('__'))))].sort(),
    assess(x, n) {
      idx.forEach((j, k) => (row[k] = v(x, j)));
      const c = [v(x, load), v(x, product), v(x, group)] as const;
      return scorer.explain(row, ...c, n);
    },
  };
}

export interface ServedModels {
  /** The primary horizon's any-mode failure model. */
  readonly failure: ServedFailure | undefined;
  /** Any-mode failure models at the other horizons, by hours. */
  readonly byHorizon: ReadonlyMap<number, ServedFailure>;
  /** Per-mode failure models at the primary horizon, by mode. */
  readonly byMode: ReadonlyMap<string, ServedFailure>;
  readonly rul: ServedRul | undefined;
  readonly anomaly: ServedAnomaly | undefined;
  /**
   * Promoted versions of the scope trained on another feature set than the plant's now (the plant
   * file changed its sensors, windows or statistics): not served until retrained, said here.
   */
  readonly stale: readonly string[];
}

/**
 * The scope's promoted versions, by declared fields (scope, kind, horizon, mode, cap). The RUL
 * model at `rulCapHours`, or when none is promoted at that cap, the scope's only promoted one.
 */
export function resolveServed(
  registry: ModelRegistry,
  scope: ModelScope,
  primaryHorizonHours: number,
  rulCapHours = 168,
): ServedModels {
  const fs = scope.featureSet;
  let failure: ServedFailure | undefined;
  let rul: ServedRul | undefined;
  let anomaly: ServedAnomaly | undefined;
  const ruls: ModelMeta[] = [];
  const byHorizon = new Map<number, ServedFailure>();
  const byMode = new Map<string, ServedFailure>();
  const stale: string[] = [];
  for (const name of registry.names()) {
    const v = registry.promoted(name);
    if (v === null) continue;
    const meta = registry.meta(name, v);
    if (meta.scope !== scope.name) continue;
    if (meta.featureSetHash !== fs.hash) {
      stale.push(`${name}@${v}`);
      continue;
    }
    const d = declared(meta);
    if (meta.kind === 'anomaly') {
      anomaly = servedAnomaly(registry.loadAnomaly(name, v, fs.hash), fs);
      continue;
    }
    if (meta.kind === 'rul-forest') {
      if (d.capHours === rulCapHours) rul = servedRul(registry.load(name, v, fs.hash));
      else ruls.push(meta);
      continue;
    }
    if (meta.kind !== 'failure-classifier' || d.horizonHours === undefined) continue;
    if (d.mode === 'any') {
      const s = servedFailure(registry.load(name, v, fs.hash));
      if (d.horizonHours === primaryHorizonHours) failure = s;
      else byHorizon.set(d.horizonHours, s);
    } else if (d.mode !== undefined && d.horizonHours === primaryHorizonHours)
      byMode.set(d.mode, servedFailure(registry.load(name, v, fs.hash)));
  }
  // A plant whose RUL is trained at another cap (e.g. 125 cycles) is served at that cap.
  const only = ruls[0];
  if (rul === undefined && ruls.length === 1 && only !== undefined)
    rul = servedRul(registry.load(only.name, only.version, fs.hash));
  return { failure, byHorizon, byMode, rul, anomaly, stale };
}
