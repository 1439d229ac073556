/**
 * Model scopes: which equipment one set of models is trained on and serves, read from the plant.
 *
 * A class gets models of its own when it has enough equipment for a walk-forward to hold failures
 * in every fold (OWN_MODELS_FROM equipment, or `models: own` in the plant file). The plant's
 * smaller classes are pooled into one scope, `pooled`, with the class as a feature
 * (`equipment_class`), because three machines of a class rarely fail often enough in a few weeks
 * to train and judge a forest on their own, while bearings, seals and windings fail alike across
 * classes; `models: pooled` forces a class into the pool. A lone small class has nothing to pool
 * with and gets its own scope (and says so).
 *
 * A scope's feature set is its classes' declared feature sets joined: the union of their sensors
 * (in the plant file's order), windows, statistics and context features. Sensors a class lacks are
 * missing (NaN) on its rows, which the forests handle. Its instants are spaced at least 10 min, or
 * the slowest featured sensor's nominal sample interval when that is longer (one per reading).
 */
import { defineFeatureSet } from '../features/index.ts';
import type { ContextFeature, FeatureSet, Stat } from '../features/index.ts';
import type { AlertPolicy } from '../src/plant/alerts.ts';
import type { Plant } from '../src/plant/schema.ts';

/** A class with this many equipment gets models of its own by default. */
export const OWN_MODELS_FROM = 5;
/** The name of the scope of the pooled classes. */
export const POOLED = 'pooled';
/** Instants for training and backtests are at least this far apart (seconds). */
const MIN_EVERY_SECONDS = 600;

export interface ModelScope {
  /** The scope's name: a class name, or `pooled`; models are named `<scope>.<model>`. */
  readonly name: string;
  readonly classes: readonly string[];
  /** The equipment the plant declares in those classes. */
  readonly equipment: readonly string[];
  /** Each of those equipment's class (the equipment_class feature of a pooled scope). */
  readonly classOf: ReadonlyMap<string, string>;
  /** Installation instants (µs) the plant file gives: where an equipment's first life starts. */
  readonly installedAt: ReadonlyMap<string, number>;
  readonly featureSet: FeatureSet;
  /** Spacing of training and backtest instants (seconds). */
  readonly everySeconds: number;
  /** The slowest nominal sample interval of its featured sensors (seconds). */
  readonly sampleSeconds: number;
  /** Why these classes are trained together or alone, in words (describeScope puts the names first). */
  readonly why: string;
  /**
   * The alert policy of each of its equipment (its class's, from the plant file): where a model's
   * alarm level is chosen for a false-alarm budget, alerts are counted as this policy raises them.
   */
  readonly alertPolicyOf?: (equipment: string) => AlertPolicy;
}

function scopeOf(plant: Plant, name: string, classes: readonly string[], why: string): ModelScope {
  const specs = classes.map((c) => plant.classes[c]!);
  const sensors: string[] = [];
  const windows = new Set<number>();
  const stats = new Set<string>();
  const context = new Set<string>();
  for (const c of specs) {
    for (const s of c.features.sensors) if (!sensors.includes(s)) sensors.push(s);
    c.features.windows_seconds.forEach((w) => windows.add(w));
    c.features.stats.forEach((s) => stats.add(s));
    c.features.context.forEach((x) => context.add(x));
  }
  if (classes.length > 1) context.add('equipment_class');
  const featureSet = defineFeatureSet({
    name,
    sensors,
    windows: [...windows].sort((a, b) => a - b).map((seconds) => ({ kind: 'time', seconds })),
    stats: [...stats] as Stat[],
    context: [...context] as ContextFeature[],
  });
  const sampleSeconds = Math.max(
    1,
    ...specs.flatMap((c) => c.sensors.filter((s) => sensors.includes(s.name)).map((s) => s.sample_seconds)),
  );
  const equipment = plant.equipment.filter((e) => classes.includes(e.class));
  const policies = new Map(
    plant.equipment.map((e) => [e.id, plant.classes[e.class]?.alerts ?? plant.alerts]),
  );
  return {
    name,
    classes,
    equipment: equipment.map((e) => e.id),
    classOf: new Map(equipment.map((e) => [e.id, e.class])),
    installedAt: new Map(
      equipment.flatMap((e) => (e.installed_at === null ? [] : [[e.id, Date.parse(e.installed_at) * 1000]])),
    ),
    featureSet,
    everySeconds: Math.max(MIN_EVERY_SECONDS, sampleSeconds),
    sampleSeconds,
    why,
    // A map, not a search: replays ask once per instant.
    alertPolicyOf: (e) => policies.get(e) ?? plant.alerts,
  };
}

/** The plant's model scopes: classes with models of their own, then the pooled ones. */
export function modelScopes(plant: Plant): ModelScope[] {
  const count = (c: string) => plant.equipment.filter((e) => e.class === c).length;
  const names = Object.keys(plant.classes).filter((c) => count(c) > 0);
  const own = names.filter((c) => {
    const m = plant.classes[c]!.models;
    return m === 'own' || (m === 'auto' && count(c) >= OWN_MODELS_FROM);
  });
  const small = names.filter((c) => !own.includes(c));
  const scopes = own.map((c) =>
    scopeOf(
      plant,
      c,
      [c],
      plant.classes[c]!.models === 'own'
        ? 'models of its own (declared in the plant file)'
        : `models of its own (${count(c)} equipment, at least ${OWN_MODELS_FROM})`,
    ),
  );
  if (small.length === 1) {
    const c = small[0]!;
    scopes.push(
      scopeOf(
        plant,
        c,
        [c],
        `models of its own, though it has ${count(c)} equipment (no other small class to pool with)`,
      ),
    );
  } else if (small.length > 1)
    scopes.push(
      scopeOf(
        plant,
        POOLED,
        small,
        `pooled, the class as a feature (each has fewer than ${OWN_MODELS_FROM} equipment or is declared pooled: too few failures to train and judge models of its own)`,
      ),
    );
  return scopes;
}

/** One line for people: `turbofan: models of its own (...)`, `pooled (pump, gearbox): pooled, ...`. */
export function describeScope(s: ModelScope): string {
  const named = s.classes.length === 1 && s.classes[0] === s.name;
  return `${s.name}${named ? '' : ` (${s.classes.join(', ')})`}: ${s.why}`;
}

/** The scope that serves an equipment (by the plant's equipment list), if any. */
export function scopeFor(scopes: readonly ModelScope[], equipment: string): ModelScope | undefined {
  return scopes.find((s) => s.classOf.has(equipment));
}

/** The name of a scope's model: `<scope>.<base>`, e.g. `pooled.failure-any-24h`. */
export function modelName(scope: ModelScope | string, base: string): string {
  return `${typeof scope === 'string' ? scope : scope.name}.${base}`;
}

/** The failure model's base name: `failure-<mode|any>-<H>h`. */
export function failureModelName(scope: ModelScope | string, horizonHours: number, mode?: string): string {
  return modelName(scope, `failure-${mode ?? 'any'}-${horizonHours}h`);
}

/** The anomaly model's base name: `anomaly`. */
export function anomalyModelName(scope: ModelScope | string): string {
  return modelName(scope, 'anomaly');
}

/** The RUL model's base name: `rul-<cap>h`. */
export function rulModelName(scope: ModelScope | string, capHours: number): string {
  return modelName(scope, `rul-${capHours}h`);
}

/**
 * The scope named `name` (a scope's name or one of its classes), or the only one when `name` is not
 * given; else an Error that lists what there is to choose from.
 */
export function pickScope(scopes: readonly ModelScope[], name?: string): ModelScope {
  const list = scopes.map((s) => `${s.name} (${s.classes.join(', ')})`).join('; ');
  if (name === undefined) {
    if (scopes.length === 1) return scopes[0]!;
    throw new Error(
      scopes.length === 0
        ? 'the plant file in force declares no equipment to model'
        : `the plant has ${scopes.length} model scopes: name one with --scope (${list})`,
    );
  }
  const s = scopes.find((x) => x.name === name) ?? scopes.find((x) => x.classes.includes(name));
  if (s === undefined) throw new Error(`no model scope or class ${JSON.stringify(name)} (scopes: ${list})`);
  return s;
}
