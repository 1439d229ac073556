import { writeFileSync } from 'node:fs';
import { ErrorCodes, PdmError } from '../../errors.ts';
import { parseIsoMicros } from '../../ingest/index.ts';
import { connectStore } from '../../store/index.ts';
import {
  computeStoreFeatures,
  persistFeatures,
  summariseFeatures,
  storedHistory,
} from '../../../pipelines/index.ts';
import { numberOption, parseOptions } from '../args.ts';
import { chooseScope } from '../scope.ts';
import type { CommandContext } from '../main.ts';

const DAY = 86_400e6;

function time(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const v = parseIsoMicros(raw);
  if (Number.isNaN(v))
    throw new PdmError(
      ErrorCodes.CLI_USAGE,
      `features: --${name} must be ISO 8601, got ${JSON.stringify(raw)}`,
    );
  return v;
}

export async function featuresCommand({ args, config, out }: CommandContext): Promise<void> {
  const { values, positionals } = parseOptions('features', args, {
    from: { type: 'string' },
    to: { type: 'string' },
    every: { type: 'string' },
    scope: { type: 'string' },
    persist: { type: 'boolean' },
    horizon: { type: 'string' },
    csv: { type: 'string' },
  });
  const action = positionals[0];
  if (action !== 'compute' && action !== 'summary')
    throw new PdmError(ErrorCodes.CLI_USAGE, 'usage: pdm features compute|summary [options]');
  const every =
    values.every === undefined
      ? undefined
      : numberOption('every', values.every, NaN, 'seconds > 0', (v) => v > 0);
  const horizon = numberOption('horizon', values.horizon, 24, 'hours > 0', (v) => v > 0);
  const store = await connectStore(config, { start: false });
  try {
    const scope = await chooseScope(store, 'features', values.scope);
    const fs = scope.featureSet;
    const history = await storedHistory(store, 'features');
    const to = time('to', values.to) ?? history.to;
    const from = time('from', values.from) ?? Math.max(history.from, to - 7 * DAY);
    const started = performance.now();
    const run = await computeStoreFeatures(store, scope, { from, to }, every);
    const computeS = (performance.now() - started) / 1000;
    const base = {
      ok: true,
      scope: scope.name,
      feature_set: fs.name,
      hash: fs.hash,
      from: new Date(from / 1000).toISOString(),
      to: new Date(to / 1000).toISOString(),
      readings: run.readings,
      rows: run.features.numRows,
      columns: fs.columns.length,
      compute_s: Math.round(computeS * 1000) / 1000,
    };
    if (action === 'compute') {
      const persisted = values.persist ? await persistFeatures(config, store, fs, run.features) : 0;
      out.result(
        { ...base, persisted },
        `${fs.name} (${fs.hash}): ${base.rows} rows x ${base.columns} features from ${base.readings} readings in ${base.compute_s} s` +
          (values.persist ? `; ${persisted} rows written to ${store.tables.features}` : ''),
      );
      return;
    }
    const summary = await summariseFeatures(run.features, fs, run.failures, horizon, to);
    if (values.csv !== undefined) writeFileSync(values.csv, summary.describeCsv);
    const top = summary.correlations.slice(0, 15);
    out.result(
      {
        ...base,
        horizon_h: horizon,
        labelled: summary.labelled,
        positives: summary.positives,
        correlations: top,
        csv: values.csv ?? null,
      },
      [
        `Correlation with "failure within ${horizon} h" (${summary.labelled} labelled rows, ${summary.positives} positive):`,
        ...top.map(
          (c) =>
            `  ${c.feature.padEnd(44)} ${Number.isNaN(c.correlation) ? '   n/a' : c.correlation.toFixed(3).padStart(6)}  (${c.pairs} pairs)`,
        ),
        '',
        summary.describeText,
        values.csv !== undefined ? `describe() per equipment written to ${values.csv}` : '',
      ].join('\n'),
    );
  } finally {
    await store.close();
  }
}
