/**
 * One real QuestDB for the whole test run, on free ports in a temporary directory. Test files
 * reach it through the PDM_QUESTDB_* variables provided here and give themselves their own tables.
 * Set PDM_TEST_QUESTDB_HTTP_URL/PDM_TEST_QUESTDB_PG_URL to run against an existing server instead.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../src/config.ts';
import { startServer } from '../src/store/questdb-server.ts';
import { freePort } from './helpers/ports.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    questdbEnv: Record<string, string>;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Every temporary directory of the run (the test files' registries, keys, reports and data, and
  // those of the processes they start) goes under one, removed when the run ends: the test files
  // make ~50 of their own, and a run left ~30 of them (~45 MB) in the system's temporary
  // directory. The test workers start after this and inherit TMPDIR (os.tmpdir() reads it).
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'pdm-test-run-'));
  // Others may pass through it (not list it): a broker started as root drops to a user of its own
  // and must reach the directory a test made writable for it (tests/sources/mqtt-faults.test.ts).
  chmodSync(scratch, 0o711);
  process.env.TMPDIR = scratch;
  const removeScratch = () => rmSync(scratch, { recursive: true, force: true });
  const httpUrl = process.env.PDM_TEST_QUESTDB_HTTP_URL;
  const pgUrl = process.env.PDM_TEST_QUESTDB_PG_URL;
  if (httpUrl && pgUrl) {
    project.provide('questdbEnv', { PDM_QUESTDB_HTTP_URL: httpUrl, PDM_QUESTDB_PG_URL: pgUrl });
    return async () => removeScratch();
  }
  const dir = mkdtempSync(path.join(scratch, 'questdb-'));
  const env: Record<string, string> = {
    PDM_QUESTDB_DATA_DIR: dir,
    PDM_QUESTDB_HTTP_PORT: String(await freePort()),
    PDM_QUESTDB_PG_PORT: String(await freePort()),
    PDM_QUESTDB_ILP_TCP_PORT: String(await freePort()),
    PDM_QUESTDB_HEALTH_PORT: String(await freePort()),
    // The whole suite's tables (60 files, ~20 tables each) live in this one server: at 768m it ran
    // out of Java heap late in a CI run ("Java heap space" on a count query).
    PDM_QUESTDB_HEAP: '1536m',
  };
  const config = loadConfig({ ...process.env, ...env });
  const server = await startServer(config.questdb);
  project.provide('questdbEnv', env);
  return async () => {
    await server.stop();
    removeScratch();
  };
}
