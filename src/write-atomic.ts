/**
 * Writing a file whole or not at all: the text goes to a temporary file beside it, is flushed to
 * disk, then renamed over it, so a reader (another process polling it, or the next start after a
 * crash) sees either the old file or the new one, never half of one. Used by the model registry,
 * the API key store and the simulated plant's saved state.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';

export function writeAtomic(file: string, text: string, mode?: number): void {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
