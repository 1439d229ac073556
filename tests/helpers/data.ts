import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.ts';
import { dataFile } from '../../src/ingest/index.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The C-MAPSS FD001 copy shipped in datasets/ (gzip); PDM_DATA_DIR overrides. */
export const CMAPSS_DIR = path.join(loadConfig(process.env, REPO_ROOT).dataDir, 'cmapss');

/** A C-MAPSS file by name (train_FD001.txt...): the plain file, or its .gz copy. */
export const cmapssFile = (name: string) => dataFile(CMAPSS_DIR, name);

/** Writes a scratch file in a fresh temporary directory and returns its path. */
export function scratchFile(name: string, content: string | Buffer): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pdm-test-'));
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}
