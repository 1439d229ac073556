import { ROLES, KeyStore } from '../../api/keys.ts';
import type { Role } from '../../api/keys.ts';
import { ErrorCodes, PdmError } from '../../errors.ts';
import { parseOptions } from '../args.ts';
import type { CommandContext } from '../main.ts';

export async function keysCommand({ args, config, out }: CommandContext): Promise<void> {
  const { values, positionals } = parseOptions('keys', args, { role: { type: 'string' } });
  if (positionals[0] !== 'create')
    throw new PdmError(ErrorCodes.CLI_USAGE, `usage: pdm keys create --role ${ROLES.join('|')}`);
  const role = values.role as Role | undefined;
  if (role === undefined || !ROLES.includes(role))
    throw new PdmError(ErrorCodes.CLI_USAGE, `keys: --role must be one of ${ROLES.join(', ')}`);
  const created = new KeyStore(config.api.keysFile).create(role);
  out.result(
    { ok: true, ...created, file: config.api.keysFile },
    `${created.key}\n(role ${role}; shown once: only its hash is kept in ${config.api.keysFile})`,
  );
}
