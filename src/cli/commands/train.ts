import { ErrorCodes, PdmError } from '../../errors.ts';
import { ModelRegistry } from '../../../models/index.ts';
import { FEATURE_SETS, storedHistory, trainFailureModel, trainRulModel } from '../../../pipelines/index.ts';
import { connectStore } from '../../store/index.ts';
import { intOption, parseOptions } from '../args.ts';
import type { CommandContext } from '../main.ts';

export async function trainCommand({ args, config, out }: CommandContext): Promise<void> {
  const { values, positionals } = parseOptions('train', args, {
    horizon: { type: 'string' },
    mode: { type: 'string' },
    cap: { type: 'string' },
    trees: { type: 'string' },
    promote: { type: 'boolean' },
  });
  const what = positionals[0];
  if (what !== 'failure' && what !== 'rul')
    throw new PdmError(
      ErrorCodes.CLI_USAGE,
      'usage: pdm train failure|rul [--horizon H] [--mode M] [--cap H] [--trees N] [--promote]',
    );
  const fs = FEATURE_SETS['plant-v1']!;
  const registry = new ModelRegistry(config.modelsDir);
  const store = await connectStore(config, { start: false });
  try {
    const range = await storedHistory(store, 'train');
    const opts = {
      horizonHours: intOption('train', 'horizon', values.horizon, 24),
      mode: values.mode,
      rulCapHours: intOption('train', 'cap', values.cap, 168),
      trees: intOption('train', 'trees', values.trees, 100),
    };
    const started = performance.now();
    const meta =
      what === 'failure'
        ? await trainFailureModel(store, registry, fs, range, opts)
        : await trainRulModel(store, registry, fs, range, opts);
    if (values.promote || registry.promoted(meta.name) === null) registry.promote(meta.name, meta.version);
    const s = Math.round((performance.now() - started) / 100) / 10;
    out.result(
      {
        ok: true,
        name: meta.name,
        version: meta.version,
        target: meta.target,
        rows: meta.rows,
        promoted: registry.promoted(meta.name),
        train_s: s,
      },
      `${meta.name} ${meta.version} (${meta.target}) trained on ${meta.rows} instants in ${s} s; promoted: ${registry.promoted(meta.name)}`,
    );
  } finally {
    await store.close();
  }
}
