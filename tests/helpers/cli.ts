/** Runs the real `pdm` binary as a child process, as a user would. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testEnv, uniquePrefix } from './store.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/pdm.js');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** The JSON object on the last line of stdout. */
  json: Record<string, unknown>;
}

export function pdm(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = stdout.trimEnd().split('\n').at(-1) ?? '';
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(last) as Record<string, unknown>;
      } catch {
        /* not a --json run */
      }
      resolve({ code: code ?? -1, stdout, stderr, json });
    });
  });
}

/**
 * A CLI environment of its own on the test QuestDB: tables under a fresh prefix, and a models
 * directory and key file in a fresh temporary directory (`dir`).
 */
export function isolatedCli(name: string): { dir: string; prefix: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `pdm-${name}-`));
  const prefix = uniquePrefix(name);
  const env = testEnv({
    PDM_TABLE_PREFIX: prefix,
    PDM_MODELS_DIR: path.join(dir, 'models'),
    PDM_KEYS_FILE: path.join(dir, 'keys.json'),
  });
  return { dir, prefix, env };
}
