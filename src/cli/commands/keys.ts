import { ROLES, KeyStore } from '../../api/keys.ts';
import type { Role } from '../../api/keys.ts';
import { ErrorCodes, PdmError } from '../../errors.ts';
import { parseOptions } from '../args.ts';
import type { CommandContext } from '../main.ts';

const USAGE = `usage: pdm keys create --role ${ROLES.join('|')} [--expires 30d|2026-12-31T00:00:00Z] [--note TEXT] | list | revoke ID`;

/** `--expires`: a duration from now (90d, 12h, 30m) or an RFC 3339 instant. */
export function expiryOf(raw: string, now = Date.now()): Date {
  const m = /^(\d{1,6})([dhm])$/.exec(raw);
  if (m) {
    const unit = m[2] === 'd' ? 86_400_000 : m[2] === 'h' ? 3_600_000 : 60_000;
    return new Date(now + Number(m[1]) * unit);
  }
  const t = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:\d{2})$/.test(raw) || Number.isNaN(t))
    throw new PdmError(
      ErrorCodes.CLI_USAGE,
      `keys: --expires ${JSON.stringify(raw)}: give a duration (90d, 12h, 30m) or an RFC 3339 instant with its zone`,
    );
  if (t <= now) throw new PdmError(ErrorCodes.CLI_USAGE, `keys: --expires ${raw} is not in the future`);
  return new Date(t);
}

/** Keys: create (printed once), list (never the secret), revoke (running servers refuse it within seconds). */
export async function keysCommand({ args, config, out }: CommandContext): Promise<void> {
  const { values, positionals } = parseOptions('keys', args, {
    role: { type: 'string' },
    expires: { type: 'string' },
    note: { type: 'string' },
  });
  const store = new KeyStore(config.api.keysFile);
  switch (positionals[0]) {
    case 'create': {
      const role = values.role as Role | undefined;
      if (role === undefined || !ROLES.includes(role))
        throw new PdmError(ErrorCodes.CLI_USAGE, `keys: --role must be one of ${ROLES.join(', ')}`);
      const expiresAt = values.expires === undefined ? undefined : expiryOf(values.expires);
      const created = store.create(role, { expiresAt, note: values.note });
      out.result(
        { ok: true, ...created, expires_at: expiresAt?.toISOString() ?? null, file: config.api.keysFile },
        `${created.key}\n(role ${role}${expiresAt ? `, expires ${expiresAt.toISOString()}` : ''}; shown once: only its hash is kept in ${config.api.keysFile})`,
      );
      return;
    }
    case 'list': {
      const keys = store.list();
      const lines = keys.map(
        (k) =>
          `${k.id}  ${k.role.padEnd(9)} ${k.status.padEnd(7)} created ${k.createdAt}` +
          `${k.expiresAt ? `  expires ${k.expiresAt}` : ''}${k.revokedAt ? `  revoked ${k.revokedAt}` : ''}${k.note ? `  ${k.note}` : ''}`,
      );
      out.result(
        { ok: true, keys, file: config.api.keysFile },
        keys.length === 0
          ? `no keys in ${config.api.keysFile} (pdm keys create --role ...)`
          : ['id            role      status  (times UTC)', ...lines].join('\n'),
      );
      return;
    }
    case 'revoke': {
      const id = positionals[1];
      if (id === undefined)
        throw new PdmError(ErrorCodes.CLI_USAGE, `keys revoke: give the key id (pdm keys list)\n${USAGE}`);
      // A whole key is accepted too: its id is the part after pdm_.
      const bare = /^pdm_([0-9a-f]{12})_/.exec(id)?.[1] ?? id;
      if (!store.revoke(bare))
        throw new PdmError(
          ErrorCodes.CLI_USAGE,
          `keys revoke: no key ${JSON.stringify(bare)} in ${config.api.keysFile}`,
        );
      out.result(
        { ok: true, revoked: bare },
        `revoked ${bare}; running servers refuse it within a few seconds (they re-read ${config.api.keysFile})`,
      );
      return;
    }
    default:
      throw new PdmError(ErrorCodes.CLI_USAGE, USAGE);
  }
}
