import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The shared C-MAPSS data beside the project (never copied into the repo). */
export const CMAPSS_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../shared/data/cmapss',
);

/** Writes a scratch file in a fresh temporary directory and returns its path. */
export function scratchFile(name: string, content: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pdm-test-'));
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}
