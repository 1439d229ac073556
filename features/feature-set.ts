/**
 * A feature set declared as data: which sensors, which windows, which statistics, which context.
 * Validated once, named deterministically, and versioned by a hash of its canonical form, so a model
 * trained on one feature set refuses to score with another.
 */
import { createHash } from 'node:crypto';

export const STATS = [
  'mean',
  'std',
  'min',
  'max',
  'last',
  'delta',
  'slope',
  'ewma',
  'rms',
  'skew',
  'kurt',
  'ptp',
  'count',
  'missing',
] as const;
export type Stat = (typeof STATS)[number];

export type WindowSpec =
  { readonly kind: 'time'; readonly seconds: number } | { readonly kind: 'count'; readonly rows: number };

export const CONTEXT_FEATURES = [
  'hours_since_maintenance',
  'running_hours_since_repair',
  'batch_load',
  'product_code',
  'equipment_class',
] as const;
export type ContextFeature = (typeof CONTEXT_FEATURES)[number];

export interface FeatureSetSpec {
  readonly name: string;
  readonly sensors: readonly string[];
  readonly windows: readonly WindowSpec[];
  readonly stats: readonly Stat[];
  readonly context?: readonly ContextFeature[];
  /** Also emit each sensor divided by the running batch's load (`<sensor>__per_load`). */
  readonly loadNormalised?: boolean;
}

export interface FeatureSet extends FeatureSetSpec {
  /** sha256 of the canonical JSON, first 16 hex digits. */
  readonly hash: string;
  /** Output column names, in order. */
  readonly columns: readonly string[];
}

export class FeatureSetError extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`Invalid feature set: ${field}: ${reason}`);
    this.name = 'FeatureSetError';
  }
}

export function windowLabel(w: WindowSpec): string {
  if (w.kind === 'count') return `${w.rows}n`;
  const s = w.seconds;
  if (s % 86400 === 0) return `${s / 86400}d`;
  if (s % 3600 === 0) return `${s / 3600}h`;
  if (s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}

export function columnName(sensor: string, stat: Stat, w: WindowSpec): string {
  return `${sensor}__${stat}__${windowLabel(w)}`;
}

const IDENT = /^[a-z_][a-z0-9_]*$/;

/** Validates a declaration and fixes its canonical order (so equal sets hash equal). */
export function defineFeatureSet(spec: FeatureSetSpec): FeatureSet {
  if (typeof spec.name !== 'string' || spec.name === '') throw new FeatureSetError('name', 'required');
  if (!Array.isArray(spec.sensors) || spec.sensors.length === 0)
    throw new FeatureSetError('sensors', 'at least one sensor');
  for (const s of spec.sensors)
    if (!IDENT.test(s)) throw new FeatureSetError('sensors', `${JSON.stringify(s)} is not a column name`);
  if (new Set(spec.sensors).size !== spec.sensors.length) throw new FeatureSetError('sensors', 'duplicates');
  if (!Array.isArray(spec.windows) || spec.windows.length === 0)
    throw new FeatureSetError('windows', 'at least one window');
  spec.windows.forEach((w, i) => {
    if (w.kind === 'time' && !(Number.isFinite(w.seconds) && w.seconds > 0))
      throw new FeatureSetError(`windows[${i}].seconds`, 'must be > 0');
    else if (w.kind === 'count' && !(Number.isInteger(w.rows) && w.rows >= 1))
      throw new FeatureSetError(`windows[${i}].rows`, 'must be an integer >= 1');
    else if (w.kind !== 'time' && w.kind !== 'count')
      throw new FeatureSetError(`windows[${i}].kind`, 'must be time or count');
  });
  if (!Array.isArray(spec.stats) || spec.stats.length === 0)
    throw new FeatureSetError('stats', 'at least one statistic');
  for (const s of spec.stats)
    if (!STATS.includes(s))
      throw new FeatureSetError('stats', `unknown ${JSON.stringify(s)} (known: ${STATS.join(', ')})`);
  for (const c of spec.context ?? []) {
    if (!CONTEXT_FEATURES.includes(c))
      throw new FeatureSetError(
        'context',
        `unknown ${JSON.stringify(c)} (known: ${CONTEXT_FEATURES.join(', ')})`,
      );
  }
  const canonical: FeatureSetSpec = {
    name: spec.name,
    sensors: [...spec.sensors],
    windows: [...spec.windows].map((w) =>
      w.kind === 'time' ? { kind: 'time', seconds: w.seconds } : { kind: 'count', rows: w.rows },
    ),
    stats: STATS.filter((s) => spec.stats.includes(s)),
    context: CONTEXT_FEATURES.filter((c) => (spec.context ?? []).includes(c)),
    loadNormalised: spec.loadNormalised === true,
  };
  const labels = canonical.windows.map(windowLabel);
  if (new Set(labels).size !== labels.length) throw new FeatureSetError('windows', 'duplicates');
  const columns: string[] = [];
  for (const sensor of canonical.sensors) {
    for (const w of canonical.windows)
      for (const stat of canonical.stats) columns.push(columnName(sensor, stat, w));
    if (canonical.loadNormalised) columns.push(`${sensor}__per_load`);
  }
  columns.push(...(canonical.context ?? []));
  const hash = createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 16);
  return { ...canonical, hash, columns };
}
