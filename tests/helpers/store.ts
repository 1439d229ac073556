/** Test helpers: the run's QuestDB (started by global-setup), with tables private to one test file. */
import { inject } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { Config } from '../../src/config.ts';
import { connectStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';

let counter = 0;

/** Tests log warnings and errors only (PDM_LOG_LEVEL overrides): a 500 is still seen. */
const LOGS = { PDM_LOG_LEVEL: process.env.PDM_LOG_LEVEL ?? 'warn' };

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ ...process.env, ...LOGS, ...inject('questdbEnv'), ...overrides });
}

/** Environment for a child process (the CLI) pointed at the test server. */
export function testEnv(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...inject('questdbEnv'), ...overrides };
}

/** A unique table prefix per call, e.g. `t_writer_ab12_1_`. */
export function uniquePrefix(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 20);
  return `t_${slug}_${process.pid.toString(36)}_${++counter}_`;
}

/** Opens the store with migrations applied to tables of its own (never starts a server). */
export async function openTestStore(name: string): Promise<Store> {
  return connectStore(testConfig(), { start: false, tablePrefix: uniquePrefix(name) });
}
