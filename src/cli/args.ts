/** Option parsing shared by commands: node's parseArgs with errors that name the command. */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { ErrorCodes, PdmError } from '../errors.ts';

export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  args: string[],
  options: T,
) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new PdmError(ErrorCodes.CLI_USAGE, `${command}: ${(err as Error).message}`);
  }
}

export function intOption(command: string, name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new PdmError(
      ErrorCodes.CLI_USAGE,
      `${command}: --${name} expects a non-negative integer, got ${JSON.stringify(raw)}`,
    );
  return n;
}
