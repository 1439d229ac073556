/**
 * A simulated plant's state at an hour of its run, kept in a file so that a restart continues from
 * it rather than replaying the plant's whole history to rebuild its machines (4-5 s for the default
 * plant's week at 1 s, most of a second start). The history in QuestDB stays the truth: a state is
 * used only for the run it came from (seed, start, machines) and only up to where the stored data
 * ends (run.ts checks both and falls back to the full replay).
 */
import { readFileSync } from 'node:fs';
import { writeAtomic } from '../write-atomic.ts';
import type { MachineState } from './machine.ts';

export interface PlantState {
  readonly version: 1;
  readonly seed: number;
  /** Epoch seconds where the run's history starts. */
  readonly start: number;
  /** Epoch seconds: every machine has simulated every instant before it. */
  readonly at: number;
  readonly sampleSeconds: number;
  readonly machines: MachineState[];
}

const NON_FINITE = new Set(['NaN', 'Infinity', '-Infinity']);

/** JSON, with NaN and the infinities (missing sensors, a cached normal) as strings. */
export function encodePlantState(s: PlantState): string {
  return JSON.stringify(s, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

/** The inverse of `encodePlantState`; throws, saying why, on text that is not a plant state. */
export function decodePlantState(text: string): PlantState {
  const s = JSON.parse(text, (_, v: unknown) =>
    typeof v === 'string' && NON_FINITE.has(v) ? Number(v) : v,
  ) as Partial<PlantState> | null;
  if (s === null || typeof s !== 'object') throw new Error('not a JSON object');
  if (s.version !== 1) throw new Error(`version ${String(s.version)}, not 1`);
  for (const k of ['seed', 'start', 'at', 'sampleSeconds'] as const)
    if (typeof s[k] !== 'number') throw new Error(`${k} is not a number`);
  if (!Array.isArray(s.machines)) throw new Error('machines is not a list');
  return s as PlantState;
}

/** The state in `file`, why it cannot be used (unreadable, not a state), or undefined if there is no file. */
export function readPlantState(file: string): { state: PlantState } | { reason: string } | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { reason: (err as Error).message };
  }
  try {
    return { state: decodePlantState(text) };
  } catch (err) {
    return { reason: (err as Error).message };
  }
}

/** Writes `state` to `file` whole or not at all. */
export function writePlantState(file: string, state: PlantState): void {
  writeAtomic(file, encodePlantState(state));
}
