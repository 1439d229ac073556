import { ErrorCodes, PdmError } from '../../errors.ts';
import { ModelRegistry } from '../../../models/index.ts';
import { parseOptions } from '../args.ts';
import type { CommandContext } from '../main.ts';

export async function modelsCommand({ args, config, out }: CommandContext): Promise<void> {
  const { positionals } = parseOptions('models', args, {});
  const [action, name, version] = positionals;
  const registry = new ModelRegistry(config.modelsDir);
  switch (action) {
    case 'list': {
      const models = registry
        .names()
        .map((n) => ({ name: n, versions: registry.versions(n), promoted: registry.promoted(n) }));
      out.result(
        { ok: true, dir: config.modelsDir, models },
        models.length === 0
          ? `no models in ${config.modelsDir}`
          : models
              .map(
                (m) =>
                  `${m.name}: ${m.versions.join(', ')}${m.promoted ? ` (promoted ${m.promoted})` : ' (none promoted)'}`,
              )
              .join('\n'),
      );
      return;
    }
    case 'show': {
      if (name === undefined)
        throw new PdmError(ErrorCodes.CLI_USAGE, 'usage: pdm models show NAME [VERSION]');
      const v = version ?? registry.promoted(name) ?? registry.versions(name).at(-1);
      if (v === undefined)
        throw new PdmError(ErrorCodes.MODEL_NOT_FOUND, `no model ${name} in ${config.modelsDir}`);
      const meta = registry.meta(name, v);
      out.result(
        { ok: true, ...meta, promoted: registry.promoted(name) === v },
        JSON.stringify({ ...meta, featureNames: `${meta.featureNames.length} features` }, null, 2),
      );
      return;
    }
    case 'promote': {
      if (name === undefined || version === undefined)
        throw new PdmError(ErrorCodes.CLI_USAGE, 'usage: pdm models promote NAME VERSION');
      registry.load(name, version); // refuse to promote a model that would not load
      registry.promote(name, version);
      out.result({ ok: true, name, promoted: version }, `${name}: promoted ${version}`);
      return;
    }
    case 'rollback': {
      if (name === undefined) throw new PdmError(ErrorCodes.CLI_USAGE, 'usage: pdm models rollback NAME');
      const v = registry.rollback(name);
      out.result({ ok: true, name, promoted: v }, `${name}: rolled back to ${v}`);
      return;
    }
    default:
      throw new PdmError(ErrorCodes.CLI_USAGE, 'usage: pdm models list|show|promote|rollback');
  }
}
