import { existsSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, PdmError } from '../../errors.ts';
import { dataFile } from '../../ingest/index.ts';
import { ModelRegistry } from '../../../models/index.ts';
import { CMAPSS_FEATURES, CMAPSS_FOREST, evaluateCmapss } from '../../../pipelines/cmapss.ts';
import type { CmapssResult } from '../../../pipelines/cmapss.ts';
import { intOption, parseOptions } from '../args.ts';
import type { CommandContext } from '../main.ts';

export async function evaluateCommand({ args, config, out }: CommandContext): Promise<void> {
  const { values, positionals } = parseOptions('evaluate', args, {
    train: { type: 'string' },
    test: { type: 'string' },
    rul: { type: 'string' },
    subset: { type: 'string' },
    trees: { type: 'string' },
    cap: { type: 'string' },
    save: { type: 'boolean' },
  });
  if (positionals[0] !== 'cmapss')
    throw new PdmError(
      ErrorCodes.CLI_USAGE,
      'usage: pdm evaluate cmapss [--subset FD001 | --train F --test F --rul F] [--trees N]',
    );
  const subset = values.subset ?? 'FD001';
  const dir = path.join(config.dataDir, 'cmapss');
  const files = {
    train: values.train ?? dataFile(dir, `train_${subset}.txt`),
    test: values.test ?? dataFile(dir, `test_${subset}.txt`),
    rul: values.rul ?? dataFile(dir, `RUL_${subset}.txt`),
  };
  for (const [k, f] of Object.entries(files))
    if (!existsSync(f)) throw new PdmError(ErrorCodes.INGEST_INPUT, `evaluate: --${k} file not found: ${f}`);
  const trees = intOption('evaluate', 'trees', values.trees, CMAPSS_FOREST.trees ?? 200);
  const cap = intOption('evaluate', 'cap', values.cap, 125);
  const result = await evaluateCmapss(files.train, files.test, files.rul, cap, { ...CMAPSS_FOREST, trees });
  let saved: string | undefined;
  if (values.save) {
    // Registered with its test metrics; the first version of a name is promoted.
    const registry = new ModelRegistry(config.modelsDir);
    const name = `cmapss-${subset.toLowerCase()}-rul`;
    const meta = registry.save(name, result.forest, {
      kind: 'rul-forest',
      featureSet: CMAPSS_FEATURES.name,
      featureSetHash: CMAPSS_FEATURES.hash,
      featureNames: result.featureNames,
      trainingWindow: null,
      rows: result.train_rows,
      metrics: { rmse: result.rmse, phm08: result.score, mae: result.mae },
    });
    if (registry.promoted(name) === null) registry.promote(name, meta.version);
    saved = `${name} ${meta.version}`;
  }
  out.result(
    { ok: true, ...summaryOf(result), ...files, trees, saved: saved ?? null },
    `C-MAPSS ${path.basename(files.test)}, ${result.units} units, one prediction each at its last cycle:\n` +
      `  true RUL as published (uncapped):  RMSE ${result.rmse}, PHM08 score ${result.score}, MAE ${result.mae}\n` +
      `  true RUL capped at ${cap} too:       RMSE ${result.capped_truth.rmse}, PHM08 score ${result.capped_truth.score}, MAE ${result.capped_truth.mae}\n` +
      `  (forest of ${trees} trees on ${result.features} features x ${result.train_rows} rows, trained in ${result.train_s} s; training target capped at ${cap}; ` +
      'papers use either convention: compare like with like, see docs/models.md)' +
      (saved ? `\n  saved as ${saved}` : ''),
  );
}

function summaryOf(r: CmapssResult) {
  const { forest: _forest, featureNames: _names, ...rest } = r;
  return rest;
}
