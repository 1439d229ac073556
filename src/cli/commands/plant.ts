import { ErrorCodes, PdmError } from '../../errors.ts';
import { describeScope, modelScopes } from '../../../pipelines/scopes.ts';
import { applyPlant, currentPlant, readPlantFile } from '../../plant/index.ts';
import type { Plant } from '../../plant/index.ts';
import { connectStore } from '../../store/index.ts';
import { intOption, parseOptions } from '../args.ts';
import type { CommandContext } from '../main.ts';

const USAGE = 'usage: pdm plant apply FILE [--accept-orphans] | show [--version N]';

/** How the plant's classes are modelled: which scope each is in, and why. */
function scopesOf(plant: Plant) {
  return modelScopes(plant).map((s) => ({
    name: s.name,
    classes: s.classes,
    why: s.why,
    line: describeScope(s),
  }));
}

/** The plant as data: apply a plant file (checked whole, idempotent, versioned) or show the one in force. */
export async function plantCommand({ args, config, out }: CommandContext): Promise<void> {
  const { values, positionals } = parseOptions('plant', args, {
    'accept-orphans': { type: 'boolean' },
    version: { type: 'string' },
  });
  const sub = positionals[0];
  if (sub !== 'apply' && sub !== 'show') throw new PdmError(ErrorCodes.CLI_USAGE, USAGE);
  if (sub === 'apply' && positionals[1] === undefined)
    throw new PdmError(ErrorCodes.CLI_USAGE, `plant apply: give the plant file\n${USAGE}`);
  // Checked before the store is touched: a file with mistakes needs no database to say so.
  const plant = sub === 'apply' ? readPlantFile(positionals[1] as string) : undefined;
  const store = await connectStore(config, { start: false });
  try {
    if (plant !== undefined) {
      const r = await applyPlant(store, plant, { acceptOrphans: values['accept-orphans'] === true });
      const { plant: _p, ...summary } = r;
      const classes = Object.keys(plant.classes);
      const scopes = scopesOf(plant);
      out.result(
        { ok: true, ...summary, classes, equipment: plant.equipment.length, scopes },
        (r.changed
          ? `plant ${plant.name} applied as version ${r.version}: ${classes.length} classes (${classes.join(', ')}), ${plant.equipment.length} equipment` +
            (r.columns_added.length > 0 ? `; telemetry columns added: ${r.columns_added.join(', ')}` : '') +
            (r.equipment_written.length > 0
              ? `; ${r.equipment_written.length} equipment records written`
              : '') +
            (r.orphans_accepted.length > 0
              ? `; orphaned readings accepted: ${r.orphans_accepted.join('; ')}`
              : '')
          : `plant ${plant.name} unchanged (version ${r.version}): nothing to apply`) +
          `\nmodel scopes:\n${scopes.map((x) => `  ${x.line}`).join('\n')}`,
      );
      return;
    }
    const version =
      values.version === undefined ? undefined : intOption('plant', 'version', values.version, 0);
    const cur = await currentPlant(store, version);
    if (cur === null)
      throw new PdmError(
        ErrorCodes.CLI_USAGE,
        version === undefined
          ? 'no plant applied yet: pdm plant apply FILE (examples/plants/ has two)'
          : `no plant version ${version}`,
      );
    const scopes = scopesOf(cur.plant);
    out.result(
      { ok: true, ...cur, scopes },
      `plant ${cur.plant.name}, version ${cur.version} (applied ${cur.applied_at}), time zone ${cur.plant.timezone}\n` +
        Object.entries(cur.plant.classes)
          .map(
            ([name, c]) =>
              `  ${name}: ${c.sensors.map((s) => `${s.name} [${s.unit}]`).join(', ')}; modes ${c.failure_modes.map((m) => `${m.code} ${m.name}`).join(', ') || 'none'}` +
              `; ${cur.plant.equipment.filter((e) => e.class === name).length} equipment`,
          )
          .join('\n') +
        `\nmodel scopes:\n${scopes.map((x) => `  ${x.line}`).join('\n')}`,
    );
  } finally {
    await store.close();
  }
}
