/**
 * What an engineer reads before trusting a feature: per-equipment descriptive statistics and the
 * correlation of each feature with the failure label. danfojs-node renders the tables (print or
 * CSV); it is loaded only here, never on a hot path.
 */
import type { Table } from 'apache-arrow';
import { failureWithin, float64Values, stringCodes, timestampMicros } from '../features/index.ts';
import type { FailureEvent, FeatureSet } from '../features/index.ts';

export interface FeatureCorrelation {
  readonly feature: string;
  /** Pearson correlation with "failure within the horizon" over labelled rows (NaN-free pairs). */
  readonly correlation: number;
  readonly pairs: number;
}

export interface FeatureSummary {
  readonly rows: number;
  readonly labelled: number;
  readonly positives: number;
  readonly correlations: FeatureCorrelation[];
  /** CSV of describe() per equipment: equipment, stat, then one column per feature. */
  readonly describeCsv: string;
  /** The same as printable text (danfo's table). */
  readonly describeText: string;
}

function pearson(x: Float64Array, y: Float64Array): { r: number; n: number } {
  let n = 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < x.length; i++) {
    const a = x[i] as number;
    const b = y[i] as number;
    if (a !== a || b !== b) continue;
    n++;
    mx += a;
    my += b;
  }
  if (n < 3) return { r: NaN, n };
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    const a = x[i] as number;
    const b = y[i] as number;
    if (a !== a || b !== b) continue;
    sxy += (a - mx) * (b - my);
    sxx += (a - mx) * (a - mx);
    syy += (b - my) * (b - my);
  }
  return { r: sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN, n };
}

export async function summariseFeatures(
  features: Table,
  fs: FeatureSet,
  failures: readonly FailureEvent[],
  horizonHours: number,
  observedUntil: number,
  maxFeaturesInDescribe = 12,
): Promise<FeatureSummary> {
  const dfd = await import('danfojs-node');
  const ts = timestampMicros(features.getChild('ts')!);
  const { codes, labels } = stringCodes(features.getChild('equipment')!);
  const equipment = Array.from(codes, (c) => labels[c] as string);
  const label = failureWithin(ts, equipment, failures, horizonHours * 3.6e9, observedUntil);
  const correlations = fs.columns
    .map((c) => {
      const { r, n } = pearson(float64Values(features.getChild(c)!), label);
      return { feature: c, correlation: r, pairs: n };
    })
    .sort((a, b) => (Math.abs(b.correlation) || 0) - (Math.abs(a.correlation) || 0));
  // describe() per equipment over the most label-correlated features (a readable width).
  const shown = correlations
    .filter((c) => c.correlation === c.correlation)
    .slice(0, maxFeaturesInDescribe)
    .map((c) => c.feature);
  const csvLines: string[] = [['equipment', 'stat', ...shown].join(',')];
  const texts: string[] = [];
  for (let e = 0; e < labels.length; e++) {
    const rows = [];
    for (let i = 0; i < codes.length; i++) if (codes[i] === e) rows.push(i);
    const data: Record<string, number[]> = {};
    for (const c of shown) {
      const v = float64Values(features.getChild(c)!);
      data[c] = rows.map((i) => v[i] as number).filter((x) => x === x);
    }
    const longest = Math.max(0, ...Object.values(data).map((v) => v.length));
    if (longest === 0) continue;
    for (const c of shown) while ((data[c] as number[]).length < longest) (data[c] as number[]).push(NaN);
    const described = new dfd.DataFrame(data).describe();
    const stats = described.index as string[];
    const values = described.values as number[][];
    stats.forEach((s, k) =>
      csvLines.push(
        [labels[e], s, ...(values[k] ?? []).map((v) => (Number.isFinite(v) ? String(v) : ''))].join(','),
      ),
    );
    // The terminal gets the top three features only: wider tables do not fit a screen.
    const narrow: Record<string, number[]> = {};
    for (const c of shown.slice(0, 3)) narrow[c] = data[c] as number[];
    texts.push(`equipment ${labels[e]}:\n${new dfd.DataFrame(narrow).describe().toString()}`);
  }
  let positives = 0;
  let labelled = 0;
  for (const v of label) {
    if (v === v) labelled++;
    if (v === 1) positives++;
  }
  return {
    rows: ts.length,
    labelled,
    positives,
    correlations,
    describeCsv: csvLines.join('\n') + '\n',
    describeText: texts.join('\n'),
  };
}
