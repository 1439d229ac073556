import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The shared C-MAPSS data beside the project (never copied into the repo); PDM_DATA_DIR overrides. */
export const CMAPSS_DIR = path.join(loadConfig(process.env, REPO_ROOT).dataDir, 'cmapss');

/** Writes a scratch file in a fresh temporary directory and returns its path. */
export function scratchFile(name: string, content: string | Buffer): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pdm-test-'));
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}
