/** Option parsing shared by commands: node's parseArgs with errors that say what was wrong and what exists. */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { ErrorCodes, PdmError } from '../errors.ts';

/** Edit distance (insertions, deletions, substitutions, adjacent swaps). */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  return d[a.length]![b.length]!;
}

/** The closest of `known` to `word` when it is close enough to be a typo (a third of its length), else null. */
export function nearest(word: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of known) {
    const dist = editDistance(word, k);
    if (dist < bestD) {
      bestD = dist;
      best = k;
    }
  }
  return best !== null && bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : null;
}

export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  args: string[],
  options: T,
) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    // The command is named once (pdm's error line already says `pdm <command>:`).
    const names = Object.keys(options).map((o) => `--${o}`);
    const listed =
      names.length === 0 ? 'it takes no options' : `its options: ${names.join(', ')} (and --json, --help)`;
    const unknown = /Unknown option '([^']+)'/.exec((err as Error).message)?.[1];
    if (unknown !== undefined) {
      const guess = nearest(unknown, names);
      throw new PdmError(
        ErrorCodes.CLI_USAGE,
        `unknown option ${unknown}${guess === null ? '' : ` (did you mean ${guess}?)`}; ${listed}`,
      );
    }
    const missing = /Option '([^']+?)(?: <value>)?' argument missing/.exec((err as Error).message)?.[1];
    if (missing !== undefined)
      throw new PdmError(ErrorCodes.CLI_USAGE, `${missing.replace(/^-\w, /, '')} needs a value; ${listed}`);
    throw new PdmError(ErrorCodes.CLI_USAGE, `${(err as Error).message}; ${listed}`);
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

/** A number option that must pass `ok` (`what` says what it must be); the fallback when absent. */
export function numberOption(
  name: string,
  raw: string | undefined,
  fallback: number,
  what: string,
  ok: (v: number) => boolean,
): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || !ok(v))
    throw new PdmError(ErrorCodes.CLI_USAGE, `--${name} ${JSON.stringify(raw)}: expected ${what}`);
  return v;
}
